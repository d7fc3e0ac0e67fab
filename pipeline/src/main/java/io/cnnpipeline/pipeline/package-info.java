/**
 * Configuration ({@link io.cnnpipeline.pipeline.PipelineConfig}), the stage runner that notebooks and other Java code
 * call ({@link io.cnnpipeline.pipeline.Pipeline}), the Fashion-MNIST demo ({@link io.cnnpipeline.pipeline.Demo}) and
 * the command-line entry point ({@link io.cnnpipeline.pipeline.Cli}) that {@code bin/cnn-pipeline} and
 * {@code spark-submit} run.
 */
package io.cnnpipeline.pipeline;

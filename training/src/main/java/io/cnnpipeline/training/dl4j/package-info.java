/**
 * Deeplearning4j/ND4J 1.0.0-M2 integration and workarounds, installed JVM-wide once by
 * {@link io.cnnpipeline.training.dl4j.JvmSettings#install()}: oneDNN layer helpers and native pooling, the
 * first-convolution backward shortcut, Aeron and OpenMP settings, dl4j-spark's time source
 * (docs/dl4j-workarounds.md lists each with its reason).
 */
package io.cnnpipeline.training.dl4j;

/**
 * Data-parallel CNN training on Spark with Deeplearning4j's parameter averaging
 * ({@code ParameterAveragingTrainingMaster}): network definitions ({@link io.cnnpipeline.training.zoo.Networks}), the
 * shard → minibatch loader with online seeded augmentation ({@link io.cnnpipeline.training.Minibatches}) and the
 * training job ({@link io.cnnpipeline.training.TrainingJob}) that writes a run directory.
 */
package io.cnnpipeline.training;

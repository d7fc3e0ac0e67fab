/**
 * Evaluation of trained models on test shards with the test-time crops of Krizhevsky et al. 2012 and He et al. 2015:
 * single centre crop, 10-crop (four corners and centre, and their horizontal flips) and multi-scale 10-crop with the
 * softmax outputs averaged ({@link io.cnnpipeline.evaluation.CropPlan}); top-1/top-5 error, per-class accuracy and
 * confusion matrices ({@link io.cnnpipeline.evaluation.EvaluationReport}) computed by
 * {@link io.cnnpipeline.evaluation.EvaluationJob}.
 */
package io.cnnpipeline.evaluation;

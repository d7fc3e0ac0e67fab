/**
 * Optional experiment tracking of the stages on an MLflow tracking server
 * ({@link io.cnnpipeline.pipeline.tracking.MlflowTracking}): parameters, per-epoch metrics, artifacts and the run's
 * status, continuing one MLflow run per cnn-pipeline run id. Never stops a stage: an unreachable or failing server
 * turns tracking off with one warning.
 */
package io.cnnpipeline.pipeline.tracking;

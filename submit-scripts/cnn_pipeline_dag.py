"""Airflow DAG: preprocess >> train >> evaluate, each stage its own spark-submit (submit-scripts/submit.sh).

Each task is a separate Spark application, so a failed stage is retried alone and its outputs are published
atomically (a dataset directory appears with its _manifest.json, a model.zip by rename). The run id is Airflow's
logical date, so a retried `train` or `evaluate` refers to the same run directory; a retried `train` continues
from the run's last checkpoint.

Airflow Variables (all optional):
  cnn_pipeline_home    checkout of cnn-pipeline on the Airflow workers (default /opt/cnn-pipeline)
  cnn_pipeline_config  HOCON configuration file for the three stages (default conf/imagenet-like.conf)
  cnn_pipeline_master  Spark master (default yarn)
"""
from __future__ import annotations

import pendulum
from airflow import DAG
from airflow.models import Variable
from airflow.operators.bash import BashOperator

HOME = Variable.get("cnn_pipeline_home", default_var="/opt/cnn-pipeline")
CONFIG = Variable.get("cnn_pipeline_config", default_var=f"{HOME}/conf/imagenet-like.conf")
MASTER = Variable.get("cnn_pipeline_master", default_var="yarn")


def stage(name: str, extra: str = "", retries: int = 1) -> BashOperator:
    return BashOperator(
        task_id=name,
        bash_command=(
            f"MASTER={MASTER} {HOME}/submit-scripts/submit.sh {name} --config {CONFIG} "
            "--set train.run-id=run-{{ ds_nodash }} " + extra
        ),
        retries=retries,
        retry_delay=pendulum.duration(minutes=10),
    )


with DAG(
    dag_id="cnn_pipeline",
    description="Images on HDFS -> Parquet shards -> CNN (dl4j-spark parameter averaging) -> multi-crop evaluation",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["cnn-pipeline", "spark", "dl4j"],
) as dag:
    # The dataset is rebuilt in place; a rerun replaces it atomically.
    preprocess = stage("preprocess", "--set preprocess.overwrite=true")
    # A retry continues the run from its last checkpoint (train.resume = auto: the first attempt starts it, and an
    # attempt that stopped before its first checkpoint starts it again). Set train.epoch-timeout-minutes in the
    # configuration so that a hung epoch fails the attempt instead of holding the cluster. To train a logical date
    # again from scratch, remove its run directory first.
    train = stage("train", "--resume=auto", retries=2)
    evaluate = stage("evaluate")
    preprocess >> train >> evaluate

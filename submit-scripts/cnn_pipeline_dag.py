"""Airflow 3 DAGs: preprocess >> train >> evaluate, each stage its own Spark application.

Two DAGs, the same three stages and parameters, two ways of submitting:

  cnn_pipeline               BashOperator running submit-scripts/submit.sh STAGE (its spark-submit settings come from
                             the Airflow worker's environment: SPARK_SUBMIT, NUM_EXECUTORS, EXECUTOR_MEMORY, ... see
                             the script's header); the master and deploy mode are DAG parameters.
  cnn_pipeline_spark_submit  SparkSubmitOperator (apache-airflow-providers-apache-spark): runs `spark-submit` from
                             the worker's PATH (the provider allows only spark-submit, spark2-submit or
                             spark3-submit there), master and deploy mode from the Airflow connection spark_default.

Each task is a separate Spark application, so a failed stage is retried alone and its outputs are published
atomically (a dataset directory appears with its _manifest.json, a model.zip by rename). The run id is derived from
the logical date (run-YYYYMMDD), so a retried `train` or `evaluate` refers to the same run directory; `train` has two
retries with --resume=auto, so a retry continues from the run's last checkpoint (an attempt that stopped before its
first checkpoint starts the run again). The delay between attempts is Airflow's [core] default_task_retry_delay
(300 s unless configured). Set train.epoch-timeout-minutes in the configuration so that a hung epoch fails the attempt
instead of holding the cluster. To train a logical date again from scratch, remove its run directory first.

Installing
  1. Airflow 3 with the Spark provider on the scheduler and workers: `submit-scripts/install-airflow.sh VENV_DIR`
     (apache-airflow 3.3.2 and apache-airflow-providers-apache-spark 6.3.4, every package pinned), or the same
     versions in your Airflow installation.
  2. A checkout of cnn-pipeline on every Airflow worker, built: `./mvnw -DskipTests package` makes
     pipeline/target/cnn-pipeline-VERSION-spark.jar (submit.sh builds it when missing).
  3. The DAG file in the dags folder, for example as a symlink (the checkout is found through the Variable below,
     not through this file's location):
         ln -s /opt/cnn-pipeline/submit-scripts/cnn_pipeline_dag.py "$AIRFLOW_HOME/dags/"
     or point [core] dags_folder (AIRFLOW__CORE__DAGS_FOLDER) at submit-scripts/.
  4. Airflow Variables (all optional; `airflow variables set NAME VALUE` or env AIRFLOW_VAR_<NAME>):
         cnn_pipeline_home    the checkout on the workers (default /opt/cnn-pipeline)
         cnn_pipeline_config  configuration file used when the run gives none (default conf/imagenet-like.conf;
                              relative to cnn_pipeline_home)
         cnn_pipeline_master  Spark master of cnn_pipeline when the run gives none (default yarn)
  5. For cnn_pipeline_spark_submit: a Spark 3.5 installation whose bin/ is on the workers' PATH, and the connection
     spark_default giving the master (host, port) and deploy mode (extra deploy-mode), e.g.
         export AIRFLOW_CONN_SPARK_DEFAULT='spark://spark-master.example:7077?deploy-mode=client'
         export AIRFLOW_CONN_SPARK_DEFAULT='{"conn_type": "spark", "host": "yarn", "extra": {"deploy-mode": "client"}}'
     or `airflow connections add spark_default --conn-uri ...`. In cluster deploy mode the provider tracks the
     driver and, on a retry, reconnects to one still running (its `durable` default): on a standalone master through
     the master's REST port (spark.master.rest.enabled), on YARN only with yarn_track_via_rm_api, which this DAG does
     not set (use cnn_pipeline there). Tested here: client deploy mode on a standalone master.

Parameters of a run (`airflow dags trigger cnn_pipeline --conf '{"config": ["conf/my.conf"]}'`, the trigger form, or
`airflow dags test cnn_pipeline 2026-01-02 --conf ...`):
  config         HOCON files for the three stages, later wins; relative paths against cnn_pipeline_home
                 ([] = the Variable cnn_pipeline_config). In cluster deploy mode submit.sh ships them with --files;
                 cnn_pipeline_spark_submit passes the paths as they are, so there they must exist on every node.
  set            further KEY=VALUE settings (--set), after the stage's own (preprocess.overwrite=true for preprocess)
  run_id         train.run-id ("" = run-<logical date as YYYYMMDD>, or of the run's date when it has no logical date)
  spark_profile  Spark property profile: for cnn_pipeline the SPARK_PROFILE given to submit.sh; for
                 cnn_pipeline_spark_submit spark-submit's --properties-file, a name (NAME = conf/spark/NAME.properties
                 of the checkout) or a file path ("" = none: the Spark installation's spark-defaults.conf)
  master         (cnn_pipeline only) Spark master ("" = the Variable cnn_pipeline_master)
  deploy_mode    (cnn_pipeline only) client or cluster
"""
from __future__ import annotations

import glob
import os
import shlex
from typing import Any

import pendulum
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, Param, Variable

DEFAULT_HOME = "/opt/cnn-pipeline"
DEFAULT_CONFIG = "conf/imagenet-like.conf"
DEFAULT_MASTER = "yarn"
# dl4j-spark's training statistics (train.collect-training-stats) use the system clock, not an NTP client.
TIME_SOURCE = "-Dorg.deeplearning4j.spark.time.TimeSource=org.deeplearning4j.spark.time.SystemClockTimeSource"


class Stages:
    """What the tasks' templates call (as `cnn`), at run time on the worker: Variables are read then, not at parse."""

    @staticmethod
    def home() -> str:
        return Variable.get("cnn_pipeline_home", default=DEFAULT_HOME)

    @staticmethod
    def run_id(params: dict[str, Any], dag_run: Any) -> str:
        if params["run_id"]:
            return params["run_id"]
        date = dag_run.logical_date or dag_run.run_after
        return "run-" + date.strftime("%Y%m%d")

    @classmethod
    def configs(cls, params: dict[str, Any]) -> list[str]:
        files = params["config"] or [Variable.get("cnn_pipeline_config", default=DEFAULT_CONFIG)]
        return [f if os.path.isabs(f) else os.path.join(cls.home(), f) for f in files]

    @classmethod
    def args(cls, stage: str, params: dict[str, Any], dag_run: Any, extra: list[str]) -> list[str]:
        """The cnn-pipeline command line: STAGE --config FILE... --set train.run-id=ID [stage's own] [params.set]."""
        out = [stage]
        for f in cls.configs(params):
            out += ["--config", f]
        out += ["--set", "train.run-id=" + cls.run_id(params, dag_run)]
        out += extra
        for s in params["set"]:
            out += ["--set", s]
        return out

    @classmethod
    def submit_command(cls, stage: str, params: dict[str, Any], dag_run: Any, extra: list[str]) -> str:
        """submit.sh STAGE ... with MASTER, DEPLOY_MODE and SPARK_PROFILE set for it (a shell command line)."""
        env = {
            "MASTER": params["master"] or Variable.get("cnn_pipeline_master", default=DEFAULT_MASTER),
            "DEPLOY_MODE": params["deploy_mode"],
        }
        if params["spark_profile"]:
            env["SPARK_PROFILE"] = params["spark_profile"]
        script = os.path.join(cls.home(), "submit-scripts", "submit.sh")
        return " ".join([f"{k}={shlex.quote(v)}" for k, v in env.items()]
                        + [shlex.join([script] + cls.args(stage, params, dag_run, extra))])

    @classmethod
    def jar(cls) -> str:
        """The shaded jar of the checkout (pipeline/target/cnn-pipeline-VERSION-spark.jar)."""
        home = cls.home()
        jars = sorted(glob.glob(os.path.join(home, "pipeline", "target", "cnn-pipeline-*-spark.jar")))
        if not jars:
            raise FileNotFoundError(f"Cannot find the shaded jar in {home}/pipeline/target: build it with "
                                    f"`./mvnw -DskipTests package` in {home} (Variable cnn_pipeline_home)")
        return jars[0]

    @classmethod
    def properties_file(cls, params: dict[str, Any]) -> str | None:
        """spark-submit's --properties-file for params.spark_profile (a name under conf/spark/, or a path)."""
        profile = params["spark_profile"]
        if not profile:
            return None
        home = cls.home()
        if os.sep in profile or profile.endswith(".properties"):
            path = profile if os.path.isabs(profile) else os.path.join(home, profile)
        else:
            path = os.path.join(home, "conf", "spark", profile + ".properties")
        if not os.path.isfile(path):
            raise FileNotFoundError(f"Cannot use spark_profile: {path} does not exist (got {profile})")
        return path


COMMON_PARAMS = {
    "config": Param([], type="array", items={"type": "string"},
                    description="HOCON configuration files, later wins; relative to the Variable cnn_pipeline_home. "
                                "[] = the Variable cnn_pipeline_config (default conf/imagenet-like.conf)."),
    "set": Param([], type="array", items={"type": "string", "pattern": "^[^=\\s]+=.*$"},
                 description="Further settings KEY=VALUE, e.g. train.epochs=30 (after the stage's own)."),
    "run_id": Param("", type="string", pattern="^$|^[A-Za-z0-9._-]+$",
                    description='train.run-id; "" = run-<logical date as YYYYMMDD>.'),
    "spark_profile": Param("", type="string",
                           description="Spark property profile (conf/spark/NAME.properties) or a properties file; "
                                       '"" = none.'),
}

DAG_ARGS = dict(
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    user_defined_macros={"cnn": Stages},
)
# preprocess: the dataset is rebuilt in place, a rerun replaces it atomically. train: a retry continues the run.
STAGE_EXTRA = {"preprocess": ["--set", "preprocess.overwrite=true"], "train": ["--resume=auto"], "evaluate": []}
STAGE_RETRIES = {"preprocess": 1, "train": 2, "evaluate": 1}


with DAG(
    dag_id="cnn_pipeline",
    description="Images -> Parquet shards -> CNN (dl4j-spark parameter averaging) -> multi-crop evaluation, "
                "each stage by submit-scripts/submit.sh",
    params={
        **COMMON_PARAMS,
        "master": Param("", type="string",
                        description='Spark master, e.g. yarn or spark://host:7077; "" = the Variable '
                                    "cnn_pipeline_master (default yarn)."),
        "deploy_mode": Param("client", enum=["client", "cluster"], description="spark-submit --deploy-mode."),
    },
    tags=["cnn-pipeline", "spark", "dl4j"],
    **DAG_ARGS,
) as cnn_pipeline:
    preprocess, train, evaluate = (
        BashOperator(
            task_id=stage,
            bash_command="{{ cnn.submit_command('%s', params, dag_run, %r) }}" % (stage, STAGE_EXTRA[stage]),
            retries=STAGE_RETRIES[stage],
        )
        for stage in ("preprocess", "train", "evaluate")
    )
    preprocess >> train >> evaluate


with DAG(
    dag_id="cnn_pipeline_spark_submit",
    description="The cnn_pipeline stages by SparkSubmitOperator (master and deploy mode: connection spark_default)",
    params=COMMON_PARAMS,
    tags=["cnn-pipeline", "spark", "dl4j"],
    # The arguments and the properties file are lists and None, not text.
    render_template_as_native_obj=True,
    **DAG_ARGS,
) as cnn_pipeline_spark_submit:
    preprocess, train, evaluate = (
        SparkSubmitOperator(
            task_id=stage,
            conn_id="spark_default",
            application="{{ cnn.jar() }}",
            java_class="io.cnnpipeline.pipeline.Cli",
            name=f"cnn-pipeline {stage}",
            application_args="{{ cnn.args('%s', params, dag_run, %r) }}" % (stage, STAGE_EXTRA[stage]),
            properties_file="{{ cnn.properties_file(params) }}",
            # As submit.sh: one ND4J OpenMP thread per task, Spark retries a failed task, the system clock.
            conf={
                "spark.executorEnv.OMP_NUM_THREADS": "1",
                "spark.yarn.appMasterEnv.OMP_NUM_THREADS": "1",
                "spark.task.maxFailures": "4",
                "spark.driver.defaultJavaOptions": TIME_SOURCE,
                "spark.executor.defaultJavaOptions": TIME_SOURCE,
            },
            retries=STAGE_RETRIES[stage],
        )
        for stage in ("preprocess", "train", "evaluate")
    )
    preprocess >> train >> evaluate

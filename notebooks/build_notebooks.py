"""Writes the notebooks of this folder (cells without outputs) from the cell sources below.

Edit the cells here and run `python3 notebooks/build_notebooks.py notebooks`, then `bash notebooks/run-notebooks.sh`
to execute them; the .ipynb files are what Jupyter users open.
"""
import json, sys
def nb(cells):
    out=[]
    for kind, src in cells:
        c={"cell_type":kind,"id":"cell-%d" % len(out),"metadata":{},"source":src.strip("\n").splitlines(True)}
        if kind=="code":
            c["execution_count"]=None; c["outputs"]=[]
        out.append(c)
    return {"cells":out,"metadata":{"kernelspec":{"display_name":"Java (cnn-pipeline)","language":"java","name":"cnn-pipeline-java"},
            "language_info":{"name":"java","file_extension":".jshell","mimetype":"text/x-java-source"}},"nbformat":4,"nbformat_minor":5}

HELPERS = r'''
import io.cnnpipeline.pipeline.*;
import io.cnnpipeline.core.*;
import io.cnnpipeline.image.*;
import io.cnnpipeline.dataset.*;
import io.cnnpipeline.ingest.*;
import io.cnnpipeline.augment.*;
import io.cnnpipeline.training.*;
import io.cnnpipeline.training.zoo.*;
import io.cnnpipeline.evaluation.*;
import io.cnnpipeline.model.*;
import org.apache.spark.sql.SparkSession;
import java.awt.image.BufferedImage;
import javax.imageio.ImageIO;

// Inline output: HTML, and pictures (a BufferedImage shows as a PNG).
void html(String s) {
    display(s, "text/html");
}
void show(Object o) {
    display(o);
}
BufferedImage png(byte[] bytes) throws IOException {
    return ImageIO.read(new ByteArrayInputStream(bytes));
}
BufferedImage png(java.nio.file.Path file) throws IOException {
    return ImageIO.read(file.toFile());
}
'''

nb03 = nb([
("markdown", """
# 03 — Train and evaluate

Trains a small CNN (LeNet) on a Fashion-MNIST subset through **dl4j-spark parameter averaging** on local Spark
(2 workers), then evaluates it with the **centre crop, 10-crop and multi-scale** test views, and looks at where it
goes wrong. The data is Debian's `dataset-fashion-mnist`, written out as PNG class folders the way a user's images
arrive. Everything lands under `work/` next to this notebook.
"""),
("code", HELPERS),
("code", r'''
PipelineConfig config = PipelineConfig.load(PipelineConfig.DEMO_PROFILE, List.of(), List.of(
        "demo.images-dir=work/nb03/images", "demo.train-limit=3000", "demo.test-limit=500",
        "preprocess.output=work/nb03/dataset", "train.runs-dir=work/nb03/runs",
        "train.epochs=3", "train.train-accuracy-sample=500", "progress.every-seconds=10"));
// Each stage's progress line (epoch, round, loss, images/s, ETA, Spark tasks) shows in the running cell (the log).
Demo.prepareImages(config);
SparkSession spark = Pipeline.sparkSession(config);
spark.sparkContext().setLogLevel("ERROR");
IngestResult data = Pipeline.preprocess(spark, config);
data.summary()
'''),
("markdown", """
## Train

Two workers fit 5 minibatches of 32 each between parameter averagings (`train.averaging-frequency`); the epoch's
order and every augmentation draw come from the root seed, so a rerun gives the same curves.
"""),
("code", r'''
TrainResult run = Pipeline.train(spark, config);
for (EpochMetrics m : run.epochs()) {
    System.out.println(m.summary(run.configuredEpochs()));
}
java.nio.file.Path runDir = java.nio.file.Path.of(java.net.URI.create(run.runDir()));
show(png(runDir.resolve("plots/loss.png")));
show(png(runDir.resolve("plots/accuracy.png")));
'''),
("markdown", """
## Evaluate: centre crop vs 10-crop vs multi-scale

Each test image is scored on 41 views (centre crop; 4 corners + centre and their flips; the same 10 at each of
the scales 28, 30, 32); softmax outputs are averaged per mode.
"""),
("code", r'''
EvaluationReport report = Pipeline.evaluate(spark, config.withRunId(run.runId()));
StringBuilder t = new StringBuilder("<table><tr><th>mode</th><th>top-1 accuracy</th><th>top-5 accuracy</th></tr>");
report.modes().forEach((mode, r) -> t.append(String.format(Locale.ROOT,
        "<tr><td>%s</td><td>%.2f%%</td><td>%.2f%%</td></tr>", mode, 100 * (1 - r.top1Error()), 100 * (1 - r.topKError()))));
html(t.append("</table>").toString());
show(png(EvaluationPlots.accuracyByMode(report, 640)));
show(png(EvaluationPlots.confusionHeatmap(report, "multi-scale", 640)));
'''),
("markdown", """
## Misclassified test images

`TrainedModel` classifies image files on the driver with the evaluation's centre-crop geometry; here are the first
mistakes, captioned *true → predicted (probability)*.
"""),
("code", r'''
TrainedModel model = TrainedModel.load(run.runDir());
List<java.nio.file.Path> files;
try (var walk = java.nio.file.Files.walk(java.nio.file.Path.of("work/nb03/images/test"))) {
    files = walk.filter(java.nio.file.Files::isRegularFile).sorted().toList();
}
List<UInt8Image> images = new ArrayList<>();
for (var f : files) images.add(model.decode(f));
List<TrainedModel.Prediction> predictions = model.predict(images);
int cell = 112, cols = 6;
BufferedImage grid = new BufferedImage(cols * cell, 2 * (cell + 16), BufferedImage.TYPE_INT_RGB);
var g = grid.createGraphics();
g.setColor(java.awt.Color.WHITE);
g.fillRect(0, 0, grid.getWidth(), grid.getHeight());
g.setFont(new java.awt.Font(java.awt.Font.SANS_SERIF, java.awt.Font.PLAIN, 10));
int shown = 0, wrong = 0;
for (int i = 0; i < files.size(); i++) {
    String truth = files.get(i).getParent().getFileName().toString();
    TrainedModel.ClassScore best = predictions.get(i).best();
    if (best.name().equals(truth)) continue;
    wrong++;
    if (shown == 2 * cols) continue;
    int x = (shown % cols) * cell, y = (shown / cols) * (cell + 16);
    g.drawImage(ImageIO.read(files.get(i).toFile()), x + 8, y, cell - 16, cell - 16, null);
    g.setColor(java.awt.Color.BLACK);
    g.drawString(truth.substring(2) + " → " + best.name().substring(2), x + 4, y + cell - 4);
    g.drawString(String.format(Locale.ROOT, "(%.2f)", best.probability()), x + 4, y + cell + 8);
    shown++;
}
g.dispose();
System.out.printf(Locale.ROOT, "%d of %d test images misclassified (centre crop)%n", wrong, files.size());
show(grid);
'''),
])

nb04 = nb([
("markdown", """
# 04 — Predict and transfer

Loads a trained model as a `TrainedModel`, classifies new image files with it (a few on the driver, then all
of them as a Spark job), then **fine-tunes** it on new
classes: the three footwear classes of Fashion-MNIST as a dataset of their own, starting from the trained network
with a new output layer (`train.transfer.*`).
"""),
("code", HELPERS),
("code", r'''
// A model to start from: one epoch of LeNet on a Fashion-MNIST subset (notebook 03 trains a longer one).
PipelineConfig base = PipelineConfig.load(PipelineConfig.DEMO_PROFILE, List.of(), List.of(
        "demo.images-dir=work/nb04/images", "demo.train-limit=3000", "demo.test-limit=300",
        "preprocess.output=work/nb04/dataset", "train.runs-dir=work/nb04/runs", "train.epochs=2",
        "train.train-accuracy-sample=0"));
Demo.prepareImages(base);
SparkSession spark = Pipeline.sparkSession(base);
spark.sparkContext().setLogLevel("ERROR");
Pipeline.preprocess(spark, base);
TrainResult run = Pipeline.train(spark, base);
TrainedModel model = TrainedModel.load(run.runDir());
model
'''),
("markdown", "## Classify image files"),
("code", r'''
List<java.nio.file.Path> files = new ArrayList<>();
try (var classes = java.nio.file.Files.list(java.nio.file.Path.of("work/nb04/images/test"))) {
    for (var dir : classes.sorted().toList()) {
        try (var f = java.nio.file.Files.list(dir)) { files.add(f.sorted().findFirst().get()); }
    }
}
List<UInt8Image> images = new ArrayList<>();
for (var f : files) images.add(model.decode(f));
StringBuilder t = new StringBuilder("<table><tr><th>image</th><th>file's class</th><th>top-3</th></tr>");
List<TrainedModel.Prediction> predictions = model.predict(images, 3);
for (int i = 0; i < files.size(); i++) {
    String b64 = Base64.getEncoder().encodeToString(java.nio.file.Files.readAllBytes(files.get(i)));
    StringBuilder top = new StringBuilder();
    for (TrainedModel.ClassScore s : predictions.get(i).top())
        top.append(String.format(Locale.ROOT, "%s %.1f%%<br>", s.name(), 100 * s.probability()));
    t.append("<tr><td><img width=56 src='data:image/png;base64,").append(b64).append("'></td><td>")
            .append(files.get(i).getParent().getFileName()).append("</td><td>").append(top).append("</td></tr>");
}
html(t.append("</table>").toString());
'''),
("markdown", """
## Batch inference on Spark

For millions of images, `Pipeline.predict` runs the same scoring as a Spark job: every file below `predict.input`
(here the 300 test images, as plain files) read and decoded on the executors, 10-crop averaged, written as Parquet
with quarantine and `summary.json` (`cnn-pipeline predict` on the command line).
"""),
("code", r'''
PipelineConfig batch = PipelineConfig.load(PipelineConfig.DEMO_PROFILE, List.of(), List.of(
        "preprocess.output=work/nb04/dataset", "train.runs-dir=work/nb04/runs", "train.run-id=" + run.runId(),
        "predict.input=work/nb04/images/test", "predict.crop-mode=10-crop", "predict.top-k=3",
        "predict.overwrite=true"));
PredictionSummary summary = Pipeline.predict(spark, batch);
System.out.println(summary.line());
System.out.println("top-1 classes: " + summary.classHistogram());
spark.read().parquet(summary.output() + "/predictions").select("key", "top_k_names", "top_k_probabilities")
        .show(5, false);
'''),
("markdown", """
## Fine-tune on new classes

A new dataset with only sandals, sneakers and ankle boots (as a user's new folder of images would be), then
training that starts from the model above: `transfer.from` its `model.zip`, a new 3-class output layer
(`replace-output`), the convolutions at a tenth of the learning rate (`lr-multipliers`), one epoch.
"""),
("code", r'''
for (String split : List.of("train", "test")) {
    for (String c : List.of("5-sandal", "7-sneaker", "9-ankle-boot")) {
        var from = java.nio.file.Path.of("work/nb04/images", split, c);
        var to = java.nio.file.Path.of("work/nb04/footwear", split, c);
        java.nio.file.Files.createDirectories(to);
        try (var f = java.nio.file.Files.list(from)) {
            for (var p : f.toList()) java.nio.file.Files.copy(p, to.resolve(p.getFileName()),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
PipelineConfig footwear = PipelineConfig.load(PipelineConfig.DEMO_PROFILE, List.of(), List.of(
        "preprocess.inputs.train=work/nb04/footwear/train", "preprocess.inputs.test=work/nb04/footwear/test",
        "preprocess.output=work/nb04/footwear-dataset", "train.runs-dir=work/nb04/runs", "train.epochs=1",
        "train.train-accuracy-sample=0", "train.transfer.from=\"" + run.model() + "\"",
        "train.transfer.replace-output=true", "train.transfer.lr-multipliers={conv1 = 0.1, conv2 = 0.1}"));
IngestResult shoes = Pipeline.preprocess(spark, footwear);
TrainResult tuned = Pipeline.train(spark, footwear);
EvaluationReport report = Pipeline.evaluate(spark, footwear.withRunId(tuned.runId()));
System.out.println(shoes.summary());
System.out.println(report.summary());
show(png(EvaluationPlots.confusionHeatmap(report, "centre-crop", 480)));
'''),
])
json.dump(nb03, open(sys.argv[1]+"/03-train-and-evaluate.ipynb","w"), indent=1)
json.dump(nb04, open(sys.argv[1]+"/04-predict-and-transfer.ipynb","w"), indent=1)

nb01 = nb([
("markdown", """
# 01 — Explore a dataset

Preprocesses a folder of images (class-per-folder layout: `<root>/<class>/<image>`) into Parquet shards with the
pipeline's preprocess stage on local Spark, then looks at what it wrote: the contact sheet, the class counts, the
per-channel statistics and the quarantine — every input is written or quarantined with a reason, never dropped.
The images are Fashion-MNIST from Debian's `dataset-fashion-mnist`, written out as PNG files, plus two broken files
planted on purpose.
"""),
("code", HELPERS),
("code", r'''
PipelineConfig config = PipelineConfig.load(PipelineConfig.DEMO_PROFILE, List.of(), List.of(
        "demo.images-dir=work/nb01/images", "demo.train-limit=2000", "demo.test-limit=500",
        "preprocess.output=work/nb01/dataset", "spark.conf={\"spark.ui.enabled\"=\"false\"}"));
Demo.prepareImages(config);
// Two inputs that are not images, as real collections have them.
var bag = java.nio.file.Path.of("work/nb01/images/train/8-bag");
java.nio.file.Path first;
try (var f = java.nio.file.Files.list(bag)) { first = f.filter(p -> p.toString().endsWith(".png")).sorted().findFirst().get(); }
java.nio.file.Files.write(bag.resolve("truncated.png"), Arrays.copyOf(java.nio.file.Files.readAllBytes(first), 60));
java.nio.file.Files.writeString(java.nio.file.Path.of("work/nb01/images/train/0-tshirt-top/notes.jpg"), "not a JPEG");
SparkSession spark = Pipeline.sparkSession(config);
spark.sparkContext().setLogLevel("ERROR");
IngestResult data = Pipeline.preprocess(spark, config);
data.summary()
'''),
("markdown", "## Contact sheet: a seeded sample of the training rows, captioned with their class"),
("code", r'''
show(png(java.nio.file.Path.of(java.net.URI.create(data.output())).resolve("contact-sheet.png")));
'''),
("markdown", "## Images per split and class"),
("code", r'''
DatasetManifest m = data.manifest();
StringBuilder t = new StringBuilder("<table><tr><th>class</th>");
m.splits().keySet().forEach(s -> t.append("<th>").append(s).append("</th>"));
t.append("</tr>");
for (String c : data.classes()) {
    t.append("<tr><td>").append(c).append("</td>");
    m.splits().values().forEach(s -> t.append("<td>").append(s.perClass().getOrDefault(c, 0L)).append("</td>"));
    t.append("</tr>");
}
html(t.append("</table>").toString());
'''),
("markdown", """
## Statistics of the training split

Per-channel mean and standard deviation of pixel values in [0, 1] (the normalization every minibatch gets) and the
principal components of the pixel covariance (AlexNet's PCA lighting noise uses them; one component for luma).
"""),
("code", r'''
DatasetStats s = data.stats();
html(String.format(Locale.ROOT, "<table><tr><th>images</th><td>%d</td></tr><tr><th>channels</th><td>%d</td></tr>"
        + "<tr><th>mean</th><td>%s</td></tr><tr><th>std</th><td>%s</td></tr><tr><th>PCA eigenvalues</th><td>%s</td></tr></table>",
        s.images(), s.channels(), Arrays.toString(s.mean()), Arrays.toString(s.std()), Arrays.toString(s.eigenvalues())));
'''),
("markdown", "## Quarantine: what was not written, and why"),
("code", r'''
var q = spark.read().parquet(data.output() + "/quarantine");
StringBuilder t = new StringBuilder("<table><tr><th>source</th><th>split</th><th>reason</th><th>message</th></tr>");
for (var r : q.select("source", "split", "reason", "message").collectAsList()) {
    t.append("<tr>");
    for (int i = 0; i < 4; i++) t.append("<td>").append(String.valueOf(r.get(i)).replace("<", "&lt;")).append("</td>");
    t.append("</tr>");
}
html(t.append("</table>").toString());
StringBuilder byReason = new StringBuilder("<table><tr><th>split</th><th>reason</th><th>inputs</th></tr>");
for (var r : q.groupBy("split", "reason").count().orderBy("split", "reason").collectAsList()) {
    byReason.append("<tr><td>").append(r.getString(0)).append("</td><td>").append(r.getString(1))
            .append("</td><td>").append(r.getLong(2)).append("</td></tr>");
}
html(byReason.append("</table>").toString());
System.out.println(String.format(Locale.ROOT, "inputs %d = written %d + quarantined %d", data.manifest().inputCount(),
        data.manifest().written(), data.manifest().quarantined()));
'''),
])

nb02 = nb([
("markdown", """
# 02 — Augmentation

Each row is a source image, each column a training epoch's draw of the configured augmentation: the same record
gets a different draw every epoch, the same draw on every rerun (streams derived from seed, epoch and record key).
First the ImageNet recipe (`conf/imagenet-like.conf`: scale + crop, flip, colour jitter, PCA lighting) on real
photographs from Debian's `hugin-data`, then transforms of your choice on Fashion-MNIST.
"""),
("code", HELPERS),
("code", r'''
var photos = java.nio.file.Path.of("/usr/share/hugin/xrc/data/help_en_EN");
PipelineConfig imagenet = PipelineConfig.load(null, List.of(new File("../conf/imagenet-like.conf")), List.of());
Map<String, byte[]> grids = Pipeline.augmentationPreview(null, imagenet, List.of(
        photos.resolve("800px-C_Marchi-GrandCentral-adj.jpg"), photos.resolve("360px-Pantheon-150x100-rect-panini.jpg"),
        photos.resolve("Big_ben_rectilinear.jpg")), 3, 6, 96);
System.out.println(grids.keySet());
show(png(grids.get("pipeline")));
'''),
("markdown", "One grid per transform shows what each step does on its own:"),
("code", r'''
for (var e : grids.entrySet()) {
    if (!e.getKey().equals("pipeline")) { System.out.println(e.getKey()); show(png(e.getValue())); }
}
'''),
("markdown", """
## Fashion-MNIST: pad-crop, flip, affine (rotation + shear) and random erasing

Rows of the dataset's training split (a small dataset is preprocessed first); the transforms are an override of
`train.augmentation`, exactly as `--set` gives them on the command line.
"""),
("code", r'''
PipelineConfig fmnist = PipelineConfig.load(PipelineConfig.DEMO_PROFILE, List.of(), List.of(
        "demo.images-dir=work/nb02/images", "demo.train-limit=500", "demo.test-limit=100",
        "preprocess.output=work/nb02/dataset", "preprocess.contact-sheet-size=0",
        "spark.conf={\"spark.ui.enabled\"=\"false\"}",
        "train.augmentation=[{type=pad-crop, padding=2}, {type=flip}, {type=affine, rotate=10, shear=5}, {type=random-erasing}]"));
Demo.prepareImages(fmnist);
SparkSession spark = Pipeline.sparkSession(fmnist);
spark.sparkContext().setLogLevel("ERROR");
Pipeline.preprocess(spark, fmnist);
show(png(Pipeline.augmentationPreview(spark, fmnist, List.of(), 6, 8, 0).get("pipeline")));
'''),
])
json.dump(nb01, open(sys.argv[1]+"/01-explore-dataset.ipynb","w"), indent=1)
json.dump(nb02, open(sys.argv[1]+"/02-augmentation.ipynb","w"), indent=1)

# Notebook 03 as a Zeppelin note: the same pipeline calls in %spark (Scala) paragraphs, on the session Zeppelin
# created (`spark`), which the pipeline uses and leaves running. ZeppelinNoteTest parses it and compiles its code.
ZEPPELIN_SETUP = r'''
// The spark interpreter needs the project's jar: add pipeline/target/cnn-pipeline-<version>-spark.jar to its
// dependencies (or spark.jars), and the --add-opens of pipeline/target/jvm.options to its driver options.
import io.cnnpipeline.pipeline._
import io.cnnpipeline.ingest._
import io.cnnpipeline.training._
import io.cnnpipeline.evaluation._
import io.cnnpipeline.model._
import scala.collection.JavaConverters._
io.cnnpipeline.training.dl4j.JvmSettings.install()
def png(bytes: Array[Byte]): Unit =
  println("%html <img src=\"data:image/png;base64," + java.util.Base64.getEncoder.encodeToString(bytes) + "\"/>")
def pngFile(path: java.nio.file.Path): Unit = png(java.nio.file.Files.readAllBytes(path))
'''
ZEPPELIN = [
("md", nb03["cells"][0]["source"]),
("spark", ZEPPELIN_SETUP),
("spark", r'''
val config = PipelineConfig.load(PipelineConfig.DEMO_PROFILE, java.util.List.of(), java.util.List.of(
  "demo.images-dir=work/nb03/images", "demo.train-limit=3000", "demo.test-limit=500",
  "preprocess.output=work/nb03/dataset", "train.runs-dir=work/nb03/runs",
  "train.epochs=3", "train.train-accuracy-sample=500"))
Demo.prepareImages(config)
val data = Pipeline.preprocess(spark, config)
println(data.summary())
'''),
("md", "## Train\n\nTwo workers fit 5 minibatches of 32 each between parameter averagings (`train.averaging-frequency`)."),
("spark", r'''
val run = Pipeline.train(spark, config)
run.epochs().asScala.foreach(m => println(m.summary(run.configuredEpochs())))
val runDir = java.nio.file.Path.of(java.net.URI.create(run.runDir()))
pngFile(runDir.resolve("plots/loss.png"))
pngFile(runDir.resolve("plots/accuracy.png"))
'''),
("md", "## Evaluate: centre crop vs 10-crop vs multi-scale"),
("spark", r'''
val report = Pipeline.evaluate(spark, config.withRunId(run.runId()))
println("%table mode\ttop-1 accuracy\ttop-5 accuracy\n" + report.modes().asScala.map { case (mode, r) =>
  f"$mode\t${100 * (1 - r.top1Error())}%.2f\t${100 * (1 - r.topKError())}%.2f" }.mkString("\n"))
png(EvaluationPlots.accuracyByMode(report, 640))
png(EvaluationPlots.confusionHeatmap(report, "multi-scale", 640))
'''),
("md", "## Misclassified test images\n\n`TrainedModel` classifies image files on the driver with the evaluation's centre-crop geometry."),
("spark", r'''
val model = TrainedModel.load(run.runDir())
val files = java.nio.file.Files.walk(java.nio.file.Path.of("work/nb03/images/test")).iterator().asScala
  .filter(p => java.nio.file.Files.isRegularFile(p)).toList.sorted
val predictions = model.predict(files.map(f => model.decode(f)).asJava).asScala
val wrong = files.zip(predictions).filter { case (f, p) => p.best().name() != f.getParent.getFileName.toString }
println(s"${wrong.size} of ${files.size} test images misclassified (centre crop)")
println("%table file\ttrue\tpredicted\tprobability\n" + wrong.take(12).map { case (f, p) =>
  f"${f.getFileName}\t${f.getParent.getFileName}\t${p.best().name()}\t${p.best().probability()}%.2f" }.mkString("\n"))
'''),
]

def zpln(paragraphs, name):
    out = []
    for i, (kind, text) in enumerate(paragraphs):
        body = text if isinstance(text, str) else "".join(text)
        out.append({"id": "paragraph_%02d" % i, "title": None,
                    "text": "%" + kind + "\n" + body.strip() + "\n",
                    "config": {"editorSetting": {"language": "scala" if kind == "spark" else "markdown",
                                                 "editOnDblClick": kind == "md"},
                               "editorMode": "ace/mode/" + ("scala" if kind == "spark" else "markdown")},
                    "settings": {"params": {}, "forms": {}}, "status": "READY"})
    return {"paragraphs": out, "name": name, "id": "CNNPIPELINE03", "defaultInterpreterGroup": "spark",
            "version": "0.10.1", "noteParams": {}, "noteForms": {}, "angularObjects": {},
            "config": {"isZeppelinNotebookCronEnable": False}, "info": {}}

json.dump(zpln(ZEPPELIN, "cnn-pipeline/03-train-and-evaluate"), open(sys.argv[1] + "/03-train-and-evaluate.zpln", "w"),
          indent=1)

package io.cnnpipeline.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cnnpipeline.evaluation.EvaluationReport;
import io.cnnpipeline.image.ImageEncoder;
import io.cnnpipeline.dataset.ShardCodec;
import io.cnnpipeline.core.TestSpark;
import io.cnnpipeline.image.UInt8Image;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Transfer learning on real data: LeNet pretrained on Fashion-MNIST classes 0-4 (t-shirt, trouser, pullover, dress,
 * coat), then fine-tuned on classes 5-9 (sandal, shirt, sneaker, bag, ankle boot) from 10% of a training set,
 * against the same network trained from scratch on the same 10%, both evaluated on the held-out test images of
 * classes 5-9.
 */
class TransferLearningTest {
    private static final SparkSession SPARK = TestSpark.get();

    /** Writes {@code perClass} images of each of {@code classes} from the split as PNG class folders. */
    private static void write(FashionMnist.Split split, List<Integer> classes, int perClass, Path root)
            throws IOException {
        ImageEncoder png = new ImageEncoder(ShardCodec.PNG, 90);
        int[] count = new int[10];
        for (int i = 0; i < split.size(); i++) {
            int label = split.labels()[i];
            if (!classes.contains(label) || count[label] >= perClass) {
                continue;
            }
            count[label]++;
            Path dir = Files.createDirectories(root.resolve(FashionMnist.CLASSES.get(label)));
            Files.write(dir.resolve(String.format("%05d.png", i)),
                    png.encode(new UInt8Image(split.cols(), split.rows(), 1, split.images()[i])));
        }
    }

    private static PipelineConfig config(Path tmp, String dataset, String run, int epochs, String... extra) {
        List<String> sets = new ArrayList<>(List.of(
                "preprocess.inputs.train=\"" + tmp.resolve(dataset + "/train") + "\"",
                "preprocess.inputs.test=\"" + tmp.resolve(dataset + "/test") + "\"",
                "preprocess.output=\"" + tmp.resolve(dataset + "/dataset") + "\"",
                "preprocess.validation-fraction=0",
                "train.runs-dir=\"" + tmp.resolve("runs") + "\"", "train.run-id=" + run,
                "train.epochs=" + epochs, "train.train-accuracy-sample=0", "train.learning-rate=0.02",
                "evaluate.scales=[28]"));
        sets.addAll(List.of(extra));
        return PipelineConfig.load(PipelineConfig.DEMO_PROFILE, List.of(), sets);
    }

    @Test
    void fineTuningAPretrainedNetworkOnTenPercentBeatsTrainingFromScratch(@TempDir Path tmp) throws Exception {
        Path idx = Demo.ensureFashionMnist(PipelineConfig.defaults(PipelineConfig.DEMO_PROFILE).demoFashionMnistDir());
        FashionMnist.Split train = FashionMnist.read(idx, "train", 0);
        FashionMnist.Split test = FashionMnist.read(idx, "t10k", 0);
        write(train, List.of(0, 1, 2, 3, 4), 600, tmp.resolve("first/train"));
        write(test, List.of(0, 1, 2, 3, 4), 100, tmp.resolve("first/test"));
        // 10% of classes 5-9: 60 of their 600 training images each
        write(train, List.of(5, 6, 7, 8, 9), 60, tmp.resolve("second/train"));
        write(test, List.of(5, 6, 7, 8, 9), 200, tmp.resolve("second/test"));

        PipelineConfig pretrain = config(tmp, "first", "pretrain", 3);
        Pipeline.preprocess(SPARK, pretrain);
        Pipeline.train(SPARK, pretrain);
        Path pretrained = tmp.resolve("runs/pretrain/model.zip");

        PipelineConfig scratch = config(tmp, "second", "scratch", 4);
        Pipeline.preprocess(SPARK, scratch);
        Pipeline.train(SPARK, scratch);
        EvaluationReport fromScratch = Pipeline.evaluate(SPARK, scratch);

        PipelineConfig fineTune = config(tmp, "second", "fine-tune", 4,
                "train.transfer.from=\"" + pretrained + "\"", "train.transfer.freeze-up-to=conv2",
                "train.transfer.lr-multipliers={fc1 = 0.5}");
        Pipeline.train(SPARK, fineTune);
        EvaluationReport transferred = Pipeline.evaluate(SPARK, fineTune);

        double scratchAcc = 1 - fromScratch.modes().get("centre-crop").top1Error();
        double transferAcc = 1 - transferred.modes().get("centre-crop").top1Error();
        System.out.printf("transfer learning: classes 5-9 from 300 images: scratch %.2f%%, fine-tuned %.2f%%%n",
                100 * scratchAcc, 100 * transferAcc);
        assertTrue(transferAcc > scratchAcc, "fine-tuned " + transferAcc + " vs scratch " + scratchAcc);

        // the frozen layers kept the pretrained parameters exactly; the rest moved
        MultiLayerNetwork before = ModelSerializer.restoreMultiLayerNetwork(pretrained.toFile(), false);
        MultiLayerNetwork after = ModelSerializer.restoreMultiLayerNetwork(
                tmp.resolve("runs/fine-tune/model.zip").toFile(), false);
        for (String key : List.of("0_W", "0_b", "2_W", "2_b")) {
            assertArrayEquals(before.getParam(key).dup().data().asFloat(), after.getParam(key).dup().data().asFloat(),
                    key);
        }
        assertTrue(before.getParam("4_W").sub(after.getParam("4_W")).amaxNumber().doubleValue() > 1e-4,
                "fc1 was fine-tuned");
        assertEquals(5, after.getParam("5_W").columns(), "new output layer for the 5 new classes");
    }

    @Test
    void aComputationGraphIsFineTunedWithItsStagesUpToTheNamedVertexFrozen(@TempDir Path tmp) throws Exception {
        Path idx = Demo.ensureFashionMnist(PipelineConfig.defaults(PipelineConfig.DEMO_PROFILE).demoFashionMnistDir());
        FashionMnist.Split train = FashionMnist.read(idx, "train", 0);
        FashionMnist.Split test = FashionMnist.read(idx, "t10k", 0);
        write(train, List.of(0, 1, 2, 3, 4, 5), 40, tmp.resolve("first/train"));
        write(test, List.of(0, 1, 2, 3, 4, 5), 10, tmp.resolve("first/test"));
        write(train, List.of(6, 7, 8, 9), 20, tmp.resolve("second/train"));
        write(test, List.of(6, 7, 8, 9), 10, tmp.resolve("second/test"));

        PipelineConfig pretrain = config(tmp, "first", "resnet-pretrain", 1, "train.network=resnet20");
        Pipeline.preprocess(SPARK, pretrain);
        Pipeline.train(SPARK, pretrain);
        Path pretrained = tmp.resolve("runs/resnet-pretrain/model.zip");

        PipelineConfig fineTune = config(tmp, "second", "resnet-fine-tune", 1, "train.network=resnet20",
                "train.transfer.from=\"" + pretrained + "\"", "train.transfer.freeze-up-to=res3c_relu",
                "train.transfer.lr-multipliers={res4a_1_conv = 0.1}");
        Pipeline.preprocess(SPARK, fineTune);
        Pipeline.train(SPARK, fineTune);

        ComputationGraph before = ModelSerializer.restoreComputationGraph(pretrained.toFile(), false);
        ComputationGraph after = ModelSerializer.restoreComputationGraph(
                tmp.resolve("runs/resnet-fine-tune/model.zip").toFile(), false);
        int frozen = 0;
        boolean stage4Moved = false;
        for (var e : before.paramTable().entrySet()) {
            String key = e.getKey();
            if (key.startsWith("output_")) {
                continue;
            }
            float[] was = e.getValue().dup().data().asFloat();
            float[] now = after.getParam(key).dup().data().asFloat();
            if (key.startsWith("res4")) {
                stage4Moved |= !java.util.Arrays.equals(was, now);
            } else {
                assertArrayEquals(was, now, key + " is frozen");   // the stem and stages 2-3, BN statistics too
                frozen++;
            }
        }
        assertTrue(frozen > 30, "stem and stages 2-3 parameters compared: " + frozen);
        assertTrue(stage4Moved, "stage 4 was fine-tuned");
        assertEquals(6, before.getLayer("output").getParam("W").columns());
        assertEquals(4, after.getLayer("output").getParam("W").columns(), "output replaced for the 4 new classes");
    }
}

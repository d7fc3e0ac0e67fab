package io.cnnpipeline.pipeline;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's Java snippets compile against the project's API: each {@code ```java} block becomes the body of a
 * method (with the imports a notebook cell would have) and is compiled with the test classpath.
 */
class ReadmeSnippetsTest {
    private static final String IMPORTS = String.join("\n",
            "import io.cnnpipeline.pipeline.*;", "import io.cnnpipeline.core.*;", "import io.cnnpipeline.image.*;",
            "import io.cnnpipeline.dataset.*;", "import io.cnnpipeline.ingest.*;", "import io.cnnpipeline.training.zoo.*;",
            "import io.cnnpipeline.training.*;", "import io.cnnpipeline.evaluation.*;", "import io.cnnpipeline.model.*;",
            "import io.cnnpipeline.augment.*;", "import io.cnnpipeline.core.config.*;",
            "import java.util.*;", "import java.nio.file.*;", "import org.apache.spark.sql.SparkSession;");

    @Test
    void javaSnippetsCompile(@TempDir Path out) throws Exception {
        String readme = Files.readString(Path.of("../README.md"));
        Matcher m = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(readme);
        StringBuilder source = new StringBuilder(IMPORTS).append("\nclass ReadmeSnippets {\n");
        int n = 0;
        while (m.find()) {
            source.append("static void snippet").append(n++).append("() throws Exception {\n").append(m.group(1))
                    .append("\n}\n");
        }
        assertTrue(n >= 1, "README.md has Java snippets");
        source.append("}\n");
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        JavaFileObject file = new SimpleJavaFileObject(URI.create("string:///ReadmeSnippets.java"),
                JavaFileObject.Kind.SOURCE) {
            @Override
            public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                return source;
            }
        };
        StringWriter errors = new StringWriter();
        List<String> options = new ArrayList<>(List.of("-classpath", System.getProperty("java.class.path"), "-d",
                out.toString(), "-proc:none"));
        boolean ok = javac.getTask(errors, null, null, options, null, List.of(file)).call();
        assertTrue(ok, "README snippets do not compile:\n" + errors + "\n" + source);
    }
}

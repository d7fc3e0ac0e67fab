package io.cnnpipeline.core;

/** The one HTML helper the run directory's pages share. */
public final class Html {
    private Html() {
    }

    /** {@code s} as HTML text or attribute value: {@code & < > "} escaped. */
    public static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}

package io.cnnpipeline.augment;

/** Argument checks with the project's message form: "Cannot configure &lt;type&gt;: &lt;why&gt; (got &lt;x&gt;)". */
final class Check {
    private Check() {
    }

    static void that(boolean ok, String type, String why, Object got) {
        if (!ok) {
            throw new IllegalArgumentException("Cannot configure " + type + ": " + why + " (got " + got + ")");
        }
    }

    static void probability(double p, String type, String what) {
        that(p >= 0 && p <= 1, type, what + " must be in [0, 1]", p);
    }

    static void range(double min, double max, String type, String what) {
        that(Double.isFinite(min) && Double.isFinite(max) && min <= max, type, what + " must be a range min <= max",
                "[" + min + ", " + max + "]");
    }
}

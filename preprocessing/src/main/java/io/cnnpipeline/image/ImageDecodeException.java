package io.cnnpipeline.image;

/**
 * An input could not be turned into an image. {@link #reason()} is a short machine-readable reason recorded in the
 * quarantine table ({@code empty-file}, {@code unsupported-format}, {@code corrupt}, {@code too-many-pixels}, ...).
 */
public class ImageDecodeException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String reason;

    public ImageDecodeException(String reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public ImageDecodeException(String reason, String message) {
        this(reason, message, null);
    }

    /** Short reason code, e.g. {@code corrupt}. */
    public String reason() {
        return reason;
    }

    /** Class name of the underlying failure, or of this exception when there is none. */
    public String exceptionClass() {
        return getCause() != null ? getCause().getClass().getName() : getClass().getName();
    }
}

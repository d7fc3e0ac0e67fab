package io.cnnpipeline.core;

/**
 * A stage cannot run because of the state of its inputs or outputs, not because of a bug: the dataset directory
 * already exists, there is nothing to resume, a run has no model yet, a model and a dataset disagree. Thrown on the
 * driver before the stage's Spark work starts; the message says what was found and what to change. The CLI prints
 * the message alone and exits 1 (with the stack trace under {@code --verbose}).
 *
 * <p>A subclass of {@link IllegalStateException}, so callers that catch that keep working.
 */
public class StageFailedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public StageFailedException(String message) {
        super(message);
    }
}

/**
 * Configuration keys declared once ({@link io.cnnpipeline.core.config.ConfigKey}, grouped by
 * {@link io.cnnpipeline.core.config.ConfigGroup}), their value types, and the builder that binds them to the stages'
 * settings records.
 */
package io.cnnpipeline.core.config;

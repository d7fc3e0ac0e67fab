/**
 * Online training augmentation, "change the pixels without changing the label": {@link
 * io.cnnpipeline.augment.Transform}s that sample their parameters from an explicit stream and apply them
 * separately (flips, ResNet scale + crop, Inception random-resized-crop, CIFAR pad-and-crop, colour jitter, AlexNet PCA
 * lighting, affine warps, lens distortion, random erasing), composed with per-step probabilities by {@link
 * io.cnnpipeline.augment.AugmentationPipeline} and seeded per (root seed, epoch, record key).
 */
package io.cnnpipeline.augment;

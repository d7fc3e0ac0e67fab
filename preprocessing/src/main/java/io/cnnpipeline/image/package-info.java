/**
 * Images: the HWC uint8 image ({@link io.cnnpipeline.image.UInt8Image}), robust decoding with EXIF orientation
 * ({@link io.cnnpipeline.image.ImageDecoder}; ImageIO + TwelveMonkeys, or libjpeg-turbo through
 * {@link io.cnnpipeline.image.TurboJpeg}), encoding, antialiased resizing ({@link io.cnnpipeline.image.Resize}),
 * the crop geometry shared by training and test-time crops ({@link io.cnnpipeline.image.Crops}) and contact sheets.
 */
package io.cnnpipeline.image;

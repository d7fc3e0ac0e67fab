/**
 * The network zoo: {@link io.cnnpipeline.training.zoo.Network} names every network once; sequential ones are built
 * by {@link io.cnnpipeline.training.zoo.Networks}, graphs (ResNets, Inception) by {@code GraphNetworks};
 * {@link io.cnnpipeline.training.zoo.NetworkSummary} gives layers, shapes, parameters and FLOPs.
 */
package io.cnnpipeline.training.zoo;

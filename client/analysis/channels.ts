/**
 * Makes another dataset's images fit a model's input channels, so that a model trained
 * on grayscale images can be scored on color ones and the other way round: color to gray
 * by the mean of the channels, gray to color by repeating the one channel.
 */
import type { ImageSet, LabeledDataset } from '../../shared/dataset-types.js';

export function withChannels(set: ImageSet, channels: number): ImageSet {
  if (set.channels === channels) return set;
  const pixels = set.count * set.height * set.width;
  const images = new Uint8Array(pixels * channels);
  if (channels === 1) {
    for (let p = 0; p < pixels; p++) {
      let sum = 0;
      for (let c = 0; c < set.channels; c++) sum += set.images[p * set.channels + c];
      images[p] = Math.round(sum / set.channels);
    }
  } else if (set.channels === 1) {
    for (let p = 0; p < pixels; p++) images.fill(set.images[p], p * channels, (p + 1) * channels);
  } else {
    throw new Error(`cannot turn ${set.channels}-channel images into ${channels}-channel ones (only to or from one channel)`);
  }
  return { ...set, images, channels };
}

export function datasetWithChannels(data: LabeledDataset, channels: number): LabeledDataset {
  return { ...data, train: withChannels(data.train, channels), test: withChannels(data.test, channels) };
}

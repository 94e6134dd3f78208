/**
 * What a dataset spec alone says of its images and classes, without loading them: the
 * built-in datasets' fixed geometry, and a folder's or synthetic set's declared options.
 * Unknown fields (an idx file's channels, a folder's classes) are left out: the
 * coordinator, which never loads data, checks what is known.
 */
import type { DatasetSpec } from './scenario.js';

export interface DatasetGeometry {
  channels?: number;
  height?: number;
  width?: number;
  numClasses?: number;
}

/** Labels travel as bytes: no dataset has more classes. */
export const MAX_CLASSES = 256;
/** Gray, gray and alpha, RGB, RGBA: the channels an image of any loader can have. */
export const MAX_CHANNELS = 4;

/** The geometry `spec` determines. */
export function datasetGeometry(spec: DatasetSpec): DatasetGeometry {
  switch (spec.name) {
    case 'fashion-mnist':
    case 'mnist':
      return { channels: 1, height: 28, width: 28, numClasses: 10 };
    case 'synthetic':
      return { channels: 1, ...square(spec.imageSize) };
    case 'folder':
      return { channels: spec.channels ?? 3, ...square(spec.imageSize) };
    case 'idx':
      return {};
  }
}

function square(size: number | undefined): DatasetGeometry {
  return size === undefined ? {} : { height: size, width: size };
}

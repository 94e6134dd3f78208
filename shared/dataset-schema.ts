/**
 * The scenario's `dataset` field: which labeled images a run streams (embedded
 * Fashion-MNIST or MNIST, idx files, synthetic shapes, or a folder of image files), and
 * the checks that a field belongs to the dataset kind it is given for. Transfer datasets
 * of the analyses use the same schema.
 */
import { z } from 'zod';
import { positiveInt } from './schema-primitives.js';

/** Dataset kinds (client/data/index.ts has one loader per name). */
export const DATASET_NAMES = ['fashion-mnist', 'mnist', 'idx', 'synthetic', 'folder'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

/** How a `folder` dataset's images are laid out on disk; `auto` tells them apart. */
export const FOLDER_LAYOUTS = ['auto', 'imagenet', 'domainnet', 'classes'] as const;

export const datasetSchema = z
  .strictObject({
    name: z.enum(DATASET_NAMES),
    /** Folder of MNIST-format idx files (for `idx`), or the root of an image folder (for `folder`). */
    path: z.string().min(1).optional(),
    /** `folder` only: how the image folder is organized (see client/data/folder-layout.ts). */
    layout: z.enum(FOLDER_LAYOUTS).optional(),
    /** `folder` only: 1 (gray) or 3 (RGB) channels after decoding. */
    channels: z.union([z.literal(1), z.literal(3)]).optional(),
    /** `folder` only: the domains to load, in stream order (DomainNet layout); default all, by name. */
    domains: z.array(z.string().min(1)).min(1).optional(),
    /** `folder` only: the class folders to load (e.g. an ImageNet-100 subset); default all. */
    classes: z.array(z.string().min(1)).min(1).max(256).optional(),
    /** Use only the first N training samples (after the seeded split), for quick runs. */
    trainLimit: positiveInt.optional(),
    /** Use only the first N test samples. */
    testLimit: positiveInt.optional(),
    /** Synthetic dataset only: samples per class and image side. */
    perClass: positiveInt.optional(),
    imageSize: z.number().int().min(8).max(64).optional(),
  })
  .superRefine((d, ctx) => {
    if (d.name === 'idx' && !d.path) {
      ctx.addIssue({ code: 'custom', path: ['path'], message: 'dataset "idx" needs a path to a folder of idx files' });
    }
    if (d.name === 'folder' && !d.path) {
      ctx.addIssue({ code: 'custom', path: ['path'], message: 'dataset "folder" needs a path to the root of an image folder' });
    }
    for (const key of ['layout', 'channels', 'domains', 'classes'] as const) {
      if (d.name !== 'folder' && d[key] !== undefined) {
        ctx.addIssue({ code: 'custom', path: [key], message: `"${key}" applies only to dataset "folder"` });
      }
    }
  });

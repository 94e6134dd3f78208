/**
 * The scenario's `ssl` field: one options schema per SSL method, chosen by `method` (a
 * discriminated union), as solo-learn gives each method its own arguments. A method's
 * options live in its own file beside this one; the client's method registry
 * (client/ssl/index.ts) has one factory per name of SSL_METHOD_NAMES.
 */
import { z } from 'zod';
import { barlowTwinsOptions } from './barlow-twins.js';
import { byolOptions } from './byol.js';
import { mocoV2Options } from './moco-v2.js';
import { simclrOptions } from './simclr.js';
import { simsiamOptions } from './simsiam.js';
import { supervisedOptions } from './supervised.js';

export type { SslCommonOptions } from './common.js';

/** Self-supervised methods, and `supervised`: the cross-entropy baseline on the chunks' labels. */
export const SSL_METHOD_NAMES = ['moco-v2', 'simclr', 'byol', 'simsiam', 'barlow-twins', 'supervised'] as const;
export type SslMethodName = (typeof SSL_METHOD_NAMES)[number];

/** The method a scenario trains when its `ssl` names none. */
export const DEFAULT_SSL_METHOD: SslMethodName = 'moco-v2';

/** Each method's options schema; the key must be the schema's `method`. */
const SSL_OPTIONS = {
  'moco-v2': mocoV2Options,
  simclr: simclrOptions,
  byol: byolOptions,
  simsiam: simsiamOptions,
  'barlow-twins': barlowTwinsOptions,
  supervised: supervisedOptions,
} satisfies { [M in SslMethodName]: z.ZodType<{ method: M }> };

type SslOptionsSchema = (typeof SSL_OPTIONS)[SslMethodName];

/** Every field some method declares. */
const KNOWN_FIELDS = new Set(Object.values(SSL_OPTIONS).flatMap((schema) => Object.keys(schema.shape)));

/**
 * The method defaults to DEFAULT_SSL_METHOD, and a field that another method declares is
 * dropped rather than refused: a scenario switches method (`--set ssl.method=byol`, a
 * suite) without editing the rest, as when every method read one flat set of options. A
 * field no method declares is still an unknown field.
 */
function ownFields(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const withMethod: Record<string, unknown> = { method: DEFAULT_SSL_METHOD, ...raw };
  const schema: SslOptionsSchema | undefined = SSL_OPTIONS[withMethod.method as SslMethodName];
  if (!schema) return withMethod;
  return Object.fromEntries(Object.entries(withMethod).filter(([field]) => field in schema.shape || !KNOWN_FIELDS.has(field)));
}

export const sslSchema = z.preprocess(
  ownFields,
  z.discriminatedUnion('method', Object.values(SSL_OPTIONS) as [SslOptionsSchema, ...SslOptionsSchema[]]),
);

/** A scenario's SSL options: those of one method. */
export type SslSpec = z.output<typeof sslSchema>;
/** The options of method `M`. */
export type SslSpecOf<M extends SslMethodName> = Extract<SslSpec, { method: M }>;

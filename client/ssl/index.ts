/**
 * SSL methods by name: one factory per name of SSL_METHOD_NAMES, each taking its own
 * method's options. Plain map: nothing registers itself on import.
 */
import type { SslCommonOptions, SslMethodName, SslSpecOf } from '../../shared/ssl-options/index.js';
import type { EncoderOptions } from '../models/encoder.js';
import { BarlowTwins } from './barlow-twins.js';
import { Byol } from './byol.js';
import type { SslMethod } from './method.js';
import { MocoV2 } from './moco-v2.js';
import { SimClr } from './simclr.js';
import { SimSiam } from './simsiam.js';
import { Supervised } from './supervised.js';

/** Builds a method, freshly initialized from `seed`, from its options. */
export type MethodFactory<Options extends SslCommonOptions = SslCommonOptions> = (ssl: Options, encoder: EncoderOptions, seed: number) => SslMethod;

/**
 * Method factories by name. The built-in SSL_METHODS, or a registry that adds to it (a
 * test's own method): the factory under a name receives options whose `method` is that name.
 */
export type MethodRegistry = Readonly<Record<string, MethodFactory<never>>>;

export const SSL_METHODS: { readonly [M in SslMethodName]: MethodFactory<SslSpecOf<M>> } = {
  'moco-v2': (ssl, encoder, seed) =>
    new MocoV2({ encoder, temperature: ssl.temperature, queueSize: ssl.queueSize, momentum: ssl.momentum, bnGroups: ssl.bnGroups }, seed),
  simclr: (ssl, encoder, seed) => new SimClr({ encoder, temperature: ssl.temperature, bnGroups: ssl.bnGroups }, seed),
  byol: (ssl, encoder, seed) => new Byol({ encoder, predictorHidden: ssl.predictorHidden, momentum: ssl.momentum, bnGroups: ssl.bnGroups }, seed),
  simsiam: (ssl, encoder, seed) => new SimSiam({ encoder, predictorHidden: ssl.predictorHidden, bnGroups: ssl.bnGroups }, seed),
  'barlow-twins': (ssl, encoder, seed) => new BarlowTwins({ encoder, lambda: ssl.lambda, bnGroups: ssl.bnGroups }, seed),
  supervised: (ssl, encoder, seed) => {
    if (encoder.numClasses === undefined) throw new Error('the supervised baseline needs the number of classes of the dataset');
    return new Supervised({ encoder, numClasses: encoder.numClasses, bnGroups: ssl.bnGroups }, seed);
  },
};

/** The method `ssl.method` names, built by its factory in `methods`. */
export function createMethod(ssl: SslCommonOptions, encoder: EncoderOptions, seed: number, methods: MethodRegistry = SSL_METHODS): SslMethod {
  // The registry pairs each name with the factory of that name's options, which `ssl` is.
  const factory = Object.hasOwn(methods, ssl.method) ? (methods[ssl.method] as MethodFactory) : undefined;
  if (!factory) throw new Error(`ssl.method: unknown method "${ssl.method}" (one of ${Object.keys(methods).join(', ')})`);
  return factory(ssl, encoder, seed);
}

/**
 * SSL methods by name. Plain map: nothing registers itself on import.
 */
import type { SslSpec } from '../../shared/scenario.js';
import type { EncoderOptions } from '../models/encoder.js';
import { BarlowTwins } from './barlow-twins.js';
import { Byol } from './byol.js';
import type { SslMethod } from './method.js';
import { MocoV2 } from './moco-v2.js';
import { SimClr } from './simclr.js';
import { SimSiam } from './simsiam.js';
import { Supervised } from './supervised.js';

type MethodFactory = (ssl: SslSpec, encoder: EncoderOptions, seed: number) => SslMethod;

export const SSL_METHODS: Record<SslSpec['method'], MethodFactory> = {
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

export function createMethod(ssl: SslSpec, encoder: EncoderOptions, seed: number): SslMethod {
  return SSL_METHODS[ssl.method](ssl, encoder, seed);
}

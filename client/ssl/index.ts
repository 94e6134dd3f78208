/**
 * SSL methods by name. Plain map: nothing registers itself on import.
 */
import type { SslSpec } from '../../shared/scenario.js';
import type { EncoderOptions } from '../models/encoder.js';
import type { SslMethod } from './method.js';
import { MocoV2 } from './moco-v2.js';

type MethodFactory = (ssl: SslSpec, encoder: EncoderOptions, seed: number) => SslMethod;

export const SSL_METHODS: Record<SslSpec['method'], MethodFactory> = {
  'moco-v2': (ssl, encoder, seed) =>
    new MocoV2({ encoder, temperature: ssl.temperature, queueSize: ssl.queueSize, momentum: ssl.momentum, bnGroups: ssl.bnGroups }, seed),
};

export function createMethod(ssl: SslSpec, encoder: EncoderOptions, seed: number): SslMethod {
  return SSL_METHODS[ssl.method](ssl, encoder, seed);
}

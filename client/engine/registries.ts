/**
 * The registries a training stage looks its plug-ins up in: SSL methods and regularizers
 * by name. The built-in ones by default; a test passes one that adds its own entries.
 */
import { REGULARIZERS, type RegularizerRegistry } from '../continual/regularizers.js';
import { SSL_METHODS, type MethodRegistry } from '../ssl/index.js';

export interface Registries {
  methods: MethodRegistry;
  regularizers: RegularizerRegistry;
}

export const BUILT_IN_REGISTRIES: Registries = { methods: SSL_METHODS, regularizers: REGULARIZERS };

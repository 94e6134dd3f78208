/**
 * What each SSL method's state holds: its parts (`online`, `key`, `queue`, `target`) and
 * every part's arrays, with what the state says of combining them. Declared once, here:
 * the client's methods (client/ssl/) build their networks from these layouts, and the
 * coordinator checks every returned state against them (./state/manifest.ts).
 * test/shared/state-manifest.test.ts checks that what each method exports is its layout.
 */
import { backboneDecls, featureDim } from './model/backbone.js';
import { denseDecls, type ArrayDecl, type ParamDecl } from './model/decls.js';
import { encoderDecls, type EncoderOptions } from './model/encoder.js';
import { mlpHeadDecls, PREDICTOR_PREFIX, predictorDecls, type MlpHeadOptions } from './model/heads.js';
import type { SslMethodName, SslSpecOf } from './ssl-options/index.js';
import type { PartsMeta } from './state/part-meta.js';

/** A method's state layout. */
export interface MethodLayout {
  /** The parameters the optimizer trains (and the buffers beside them): the `online` part. */
  online: ParamDecl[];
  /** Every part of the exported state and its arrays (`online` among them). */
  parts: Record<string, ArrayDecl[]>;
  /** How the parts combine, when some part is not averaged parameters. */
  partMeta?: PartsMeta;
}

/** The projector of BYOL, SimSiam and Barlow Twins (Linear-BN-ReLU-Linear, SimSiam's with BN after). */
export function twoLayerHead(encoder: EncoderOptions, outputBatchNorm = false): MlpHeadOptions {
  return { inputDim: featureDim(encoder.backbone), hiddenDim: encoder.hiddenDim, outputDim: encoder.outputDim, ...(outputBatchNorm ? { outputBatchNorm } : {}) };
}

/**
 * MoCo's queue part is not parameters: a FIFO of past keys, whose slots hold unrelated
 * keys in each client's state, so fedavg takes it whole from one state instead of
 * blurring keys together; its rows are unit keys, and its write pointer is a position.
 */
export const MOCO_PART_META: PartsMeta = { queue: { combine: 'whole', arrays: { queue: 'unit-rows', pointer: 'position' } } };

/** The queue part of MoCo's state: `queueSize` keys of the embedding's size, and the write position. */
export function mocoQueueDecls(encoder: EncoderOptions, queueSize: number): ArrayDecl[] {
  return [
    { name: 'queue', shape: [queueSize, encoder.outputDim] },
    { name: 'pointer', shape: [1] },
  ];
}

/** A layout whose only part is `online`. */
function onlineOnly(online: ParamDecl[]): MethodLayout {
  return { online, parts: { online } };
}

/** Each method's layout, from the encoder and the method's own options (only the fields it reads). */
export const SSL_LAYOUTS = {
  'moco-v2': (encoder: EncoderOptions, o: { queueSize: number }): MethodLayout => {
    const online = encoderDecls(encoder);
    return { online, parts: { online, key: online, queue: mocoQueueDecls(encoder, o.queueSize) }, partMeta: MOCO_PART_META };
  },
  simclr: (encoder: EncoderOptions): MethodLayout => onlineOnly(encoderDecls(encoder)),
  byol: (encoder: EncoderOptions, o: { predictorHidden: number }): MethodLayout => {
    const online = [...backboneDecls(encoder.backbone), ...mlpHeadDecls('head', twoLayerHead(encoder)), ...predictorDecls(encoder.outputDim, o.predictorHidden)];
    // The target network is the online one without the predictor.
    return { online, parts: { online, target: online.filter((d) => !d.name.startsWith(`${PREDICTOR_PREFIX}.`)) } };
  },
  simsiam: (encoder: EncoderOptions, o: { predictorHidden: number }): MethodLayout =>
    onlineOnly([...backboneDecls(encoder.backbone), ...mlpHeadDecls('head', twoLayerHead(encoder, true)), ...predictorDecls(encoder.outputDim, o.predictorHidden)]),
  'barlow-twins': (encoder: EncoderOptions): MethodLayout => onlineOnly([...backboneDecls(encoder.backbone), ...mlpHeadDecls('head', twoLayerHead(encoder))]),
  supervised: (encoder: EncoderOptions): MethodLayout => {
    if (encoder.numClasses === undefined) throw new Error('the supervised baseline needs the number of classes of the dataset');
    return onlineOnly([...backboneDecls(encoder.backbone), ...denseDecls('classifier', featureDim(encoder.backbone), encoder.numClasses)]);
  },
} satisfies { readonly [M in SslMethodName]: (encoder: EncoderOptions, ssl: SslSpecOf<M>) => MethodLayout };

/** The layout of the method `ssl` names. */
export function methodLayout(ssl: SslSpecOf<SslMethodName>, encoder: EncoderOptions): MethodLayout {
  // SSL_LAYOUTS pairs each name with a function of that name's options, which `ssl` is.
  const layout = SSL_LAYOUTS[ssl.method] as (encoder: EncoderOptions, ssl: SslSpecOf<SslMethodName>) => MethodLayout;
  return layout(encoder, ssl);
}

/**
 * The two-layer MLP projectors that take vision-tower features to the LM's width, as an ONNX
 * graph `projector.onnx`: `image_features` [tokens, in] → Linear → activation → Linear →
 * `image_embeds` [tokens, out]. Two public layouts:
 *
 * - LLaDA-V (LLaVA `mlp2x_gelu`): `model.mm_projector.0` → exact GELU → `model.mm_projector.2`,
 *   from SigLIP's width (`mm_hidden_size`) to the LM's `hidden_size`.
 * - Dimple: `img_projector.linear_1` → the LM config's `hidden_act` (SiLU for Dimple-7B) →
 *   `img_projector.linear_2`, from the vision tower's `out_hidden_size` to the LM's `hidden_size`.
 */
import type { CheckpointTensors } from '../checkpoint/checkpoint-tensors.js';
import { OnnxGraphBuilder } from '../onnx/onnx-graph-builder.js';
import { checkTensorShapes } from '../lm/tensor-layout.js';
import { TowerOps } from './tower-layers.js';
import type { WeightFormat } from '../weights/weight-format.js';

export type ProjectorActivation = 'gelu' | 'gelu_pytorch_tanh' | 'silu';

export interface MlpProjectorLayout {
  /** Name prefixes of the two linear layers (each with `.weight` [out, in] and `.bias`). */
  readonly first: string;
  readonly second: string;
  readonly activation: ProjectorActivation;
  /** Input width (the tower's output) and output width (the LM's hidden size). */
  readonly inputSize: number;
  readonly outputSize: number;
}

export function lladaVProjector(mmHiddenSize: number, hiddenSize: number): MlpProjectorLayout {
  return {
    first: 'model.mm_projector.0',
    second: 'model.mm_projector.2',
    activation: 'gelu',
    inputSize: mmHiddenSize,
    outputSize: hiddenSize,
  };
}

export function dimpleProjector(
  outHiddenSize: number,
  hiddenSize: number,
  hiddenAct: ProjectorActivation,
): MlpProjectorLayout {
  return {
    first: 'img_projector.linear_1',
    second: 'img_projector.linear_2',
    activation: hiddenAct,
    inputSize: outHiddenSize,
    outputSize: hiddenSize,
  };
}

export function mlpProjectorShapes(layout: MlpProjectorLayout): Map<string, readonly number[]> {
  const { first, second, inputSize: i, outputSize: o } = layout;
  return new Map<string, readonly number[]>([
    [`${first}.weight`, [o, i]],
    [`${first}.bias`, [o]],
    [`${second}.weight`, [o, o]],
    [`${second}.bias`, [o]],
  ]);
}

/** Checks the projector's four tensors (other tensors of the checkpoint are left alone). */
export function checkMlpProjectorTensors(layout: MlpProjectorLayout, checkpoint: CheckpointTensors): void {
  const expected = mlpProjectorShapes(layout);
  checkTensorShapes(
    `${checkpoint.dir} (MLP projector ${layout.first} → ${layout.second})`,
    expected,
    checkpoint,
    () => false,
  );
}

export function buildMlpProjectorGraph(
  layout: MlpProjectorLayout,
  checkpoint: CheckpointTensors,
  weights: WeightFormat = 'fp32',
): OnnxGraphBuilder {
  checkMlpProjectorTensors(layout, checkpoint);
  const g = new OnnxGraphBuilder('projector');
  const ops = new TowerOps(g, checkpoint, weights);
  const x = g.input('image_features', 'FLOAT', ['tokens', layout.inputSize]);
  const hidden = ops.linear(x, `${layout.first}.weight`, `${layout.first}.bias`);
  const activated =
    layout.activation === 'silu' ? ops.silu(hidden) : ops.gelu(hidden, layout.activation === 'gelu' ? 'erf' : 'tanh');
  g.output(
    g.op('Identity', [ops.linear(activated, `${layout.second}.weight`, `${layout.second}.bias`)], {}, 'image_embeds'),
    'FLOAT',
    ['tokens', layout.outputSize],
  );
  return g;
}

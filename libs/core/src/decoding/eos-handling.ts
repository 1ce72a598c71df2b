/**
 * Two rules about the end-of-sequence token.
 * - EOS early rejection (EOSER): early in decoding the model over-predicts EOS on a canvas that
 *   is still mostly masks, which ends answers too soon. EOS confidence is multiplied by
 *   γ + (1 − γ) · progress, rising from γ at the start to 1 when the canvas is full.
 * - End-of-text prediction: once an EOS is committed, every later position of the same region
 *   (the answer, or one slot of a structure template) becomes EOS and is no longer decoded.
 */
export function eosConfidenceFactor(gamma: number, progress: number): number {
  return gamma + (1 - gamma) * Math.min(1, Math.max(0, progress));
}

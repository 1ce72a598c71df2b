export { ByteDfa, DEAD } from './byte-automaton.js';
export { CanvasCheck } from './canvas-check.js';
export { compileJsonSchema, type JsonSchemaOptions } from './json-schema.js';
export { anyJsonObject } from './json-text.js';
export { parseRegex } from './regex.js';
export {
  compileConstraint,
  constraintPattern,
  matchesConstraint,
  constraintSpecSchema,
  ConstraintVocabulary,
  TokenConstraint,
  type ConstraintSpec,
} from './token-constraint.js';
export { checkSurfaces, tokenSurfaces, type TokenSurfaces } from './token-surfaces.js';
export type { Pattern } from './pattern.js';
export { toolCallPattern, type ToolCallLanguage } from './tool-call.js';

export { Unmask, type UnmaskOptions } from './unmask.js';
export type {
  AskRequest,
  AskResult,
  AskStep,
  AskStream,
  AnswerFinishReason,
  HistoryMessage,
  PreparedPrompt,
  StreamOptions,
} from './ask-request.js';
export { PIPELINE_FIELDS, type MediaInput, type RequestFields } from './request-fields.js';
export { pickConversationMedia, type ConversationMode, type TurnMedia } from './conversation-media.js';
export { AnswerText, type AnswerTokens } from './answer/answer-text.js';
export { cutAtStop, holdBack } from './answer/stop-sequences.js';
export { constraintOf, type ResponseFormat } from './answer/response-format.js';
export {
  planToolCall,
  ToolAnswerText,
  DEFAULT_TOOL_CALL_FORMAT,
  type ToolCall,
  type ToolChoice,
  type ToolFunction,
  type ToolPlan,
  type ToolRequest,
} from './answer/tool-calls.js';
export { AnswerLogprobs, type AnswerLogprob, type TokenText } from './answer/answer-logprobs.js';
export { ConstraintCache } from './answer/constraint-cache.js';
export { buildPrompt, tokenizePrompt, userMessage, type BuiltPrompt } from './prompt-builder.js';
export {
  requestLimitsSchema,
  parseRequestLimits,
  type RequestLimits,
  type RequestLimitsInput,
} from './request-budget.js';
export { ImageTower, AudioTower, type MediaFeatures, type MediaLimits } from './media-encoders.js';
export { defaultModelDir, DEFAULT_MODEL_DIR } from './default-model.js';
export { mropePositionTable, type GridSpan } from './mrope-positions.js';
export { anyresLayout, mergeAnyresFeatures, pythonFloorDiv, type AnyresLayout } from './anyres-rows.js';
export { AnyresImages, readImageNewline } from './anyres-images.js';

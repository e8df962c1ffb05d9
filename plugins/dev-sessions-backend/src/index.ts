/**
 * The dev-sessions backend plugin.
 *
 * @packageDocumentation
 */
export { devSessionsPlugin as default } from './plugin';
export {
  devSessionResourceRef,
  devSessionRules,
  devSessionConditions,
  createDevSessionConditionalDecision,
  isDevSessionOwner,
  type DevSessionQuery,
} from './permissions';
export {
  devSessionPolicyDecision,
  type DevSessionPolicyOptions,
} from './policyDecision';

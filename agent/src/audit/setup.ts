// The auditor a command runs with, from its --profile and --policy options.

import { Auditor, type AuditorOptions } from './auditor.js';
import { defaultPolicy, loadPolicy, PolicyError } from './policy.js';
import { PROFILE_NAMES, profileByName } from './profiles.js';

export { PolicyError };

/** --profile alone selects a profile; --policy FILE loads a policy, whose profile --profile overrides. */
export function auditorFor(profile: string | undefined, policyFile: string | undefined, options: AuditorOptions = {}): Auditor {
  const p = profile === undefined ? undefined : profileByName(profile);
  if (profile !== undefined && !p) throw new PolicyError(`unknown profile "${profile}" (known: ${PROFILE_NAMES.join(', ')})`);
  if (policyFile !== undefined) return new Auditor(loadPolicy(policyFile, profile), options);
  return new Auditor(defaultPolicy(p), options);
}

/**
 * The login-profile handler's decisions, as pure functions of what it knows: no AWS calls, no
 * clock, so each is tested on its own (`test/login-profile/plan.test.ts`). `issue.ts`, `reset.ts`
 * and `delete.ts` make the calls these decisions ask for.
 */
import { createHash } from 'node:crypto';
import { stageHolder } from '../aws/secrets';
import type { LoginProfileSettings } from './properties';

/** What the handler knows about the event besides the properties. */
export interface EventIdentity {
  readonly stackId: string;
  readonly logicalResourceId: string;
  readonly requestId: string;
  readonly requestType: string;
}

/** How many freshly generated passwords to try when IAM answers `PasswordPolicyViolation`. */
export const MAX_POLICY_ATTEMPTS = 3;

/**
 * The client request token of the secret version written for `event` (attempt `attempt`):
 * the same event always maps to the same token, a different event never does.
 */
export function versionToken(event: EventIdentity, attempt: number): string {
  const hex = createHash('sha256')
    .update([event.stackId, event.logicalResourceId, event.requestId, String(attempt)].join('\n'))
    .digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The tokens of every version `event` may have written (one per policy attempt). */
export function versionTokens(event: EventIdentity): ReadonlySet<string> {
  return new Set(Array.from({ length: MAX_POLICY_ATTEMPTS }, (_, attempt) => versionToken(event, attempt)));
}

/** What a Create does, from its settings. */
export enum CreatePlan {
  /** Console access on: claim the user, issue a first password. */
  ISSUE = 'issue',
  /** Console access off: claim the user, remove any login profile, the secret says access is off. */
  ACCESS_OFF = 'access-off',
}

/** The plan for a Create of `settings`. */
export function planCreate(settings: LoginProfileSettings): CreatePlan {
  return settings.consoleAccess ? CreatePlan.ISSUE : CreatePlan.ACCESS_OFF;
}

/** What an Update does, from the old and new settings. */
export enum UpdatePlan {
  /** Another user: a new physical resource. The old user's profile goes, the new user gets one. */
  NEW_USER = 'new-user',
  /** Another secret for the same user: it holds no password yet, so a new one is issued (as on Create). */
  NEW_SECRET = 'new-secret',
  /** A new reset token: a new password, in place. */
  NEW_PASSWORD = 'new-password',
  /** Only `passwordResetRequired` changed: flip the flag, keep the password. */
  RESET_FLAG = 'reset-flag',
  /** Nothing the login profile depends on changed (e.g. the password length alone). */
  NOTHING = 'nothing',
  /** Console access switched off, same user and secret: the profile goes (if the secret owns it), the secret says off. */
  ACCESS_OFF = 'access-off',
  /**
   * Console access off with another user or secret: the old user's profile goes, the user is
   * claimed for the secret and loses any profile, the secret says off.
   */
  MOVE_OFF = 'move-off',
  /** Console access switched on, same user and secret: a new password, issued as on Create. */
  ACCESS_ON = 'access-on',
  /** Console access stays off: nothing is issued, whatever else changed (a reset token, the flag, the length). */
  STAY_OFF = 'stay-off',
}

/**
 * The plan for an Update from `old` to `next`. Access off decides first: nothing is issued while
 * it is off, and a move while off only removes profiles. Otherwise the first difference in this
 * order decides: a new user or secret needs a password in the new place whatever else changed;
 * access switched back on issues a new password whatever the token did; a new token issues a new
 * password, which carries the reset flag with it.
 */
export function planUpdate(old: LoginProfileSettings, next: LoginProfileSettings): UpdatePlan {
  const moved = next.userName !== old.userName || next.secretArn !== old.secretArn;
  if (!next.consoleAccess) {
    if (moved) return UpdatePlan.MOVE_OFF;
    return old.consoleAccess ? UpdatePlan.ACCESS_OFF : UpdatePlan.STAY_OFF;
  }
  if (next.userName !== old.userName) return UpdatePlan.NEW_USER;
  if (next.secretArn !== old.secretArn) return UpdatePlan.NEW_SECRET;
  if (!old.consoleAccess) return UpdatePlan.ACCESS_ON;
  if (next.resetToken !== old.resetToken) return UpdatePlan.NEW_PASSWORD;
  if (next.passwordResetRequired !== old.passwordResetRequired) return UpdatePlan.RESET_FLAG;
  return UpdatePlan.NOTHING;
}

/**
 * What a delivery of an event that switches access off does, from the secret's version stages and
 * the event's version token: `write` (delete the profile, write the off value under the token:
 * the first delivery, or a replay of one that has not finished or has, which writes the same
 * version again), or `overtaken` (the event's off version exists but lost `AWSCURRENT`: a later
 * event, such as access switched back on, has changed the secret since, and this late delivery
 * must not remove the profile that event gave).
 */
export function planAccessOff(
  stages: Readonly<Record<string, readonly string[]>>,
  token: string,
): 'write' | 'overtaken' {
  const own = stages[token];
  return own === undefined || own.includes('AWSCURRENT') ? 'write' : 'overtaken';
}

/**
 * Whether a Delete may remove the user's login profile: only when this resource's secret owns it
 * (the owner tag names the secret). The handler tags the user before it sets any password, so a
 * user that shows no owner tag, or another secret's, has no profile of ours: it was set by hand,
 * or another resource (a replacement for the same user) has claimed the user since. A user IAM
 * does not show (`tags` undefined: gone, or too new for IAM's eventually consistent reads) is
 * left to `DeleteLoginProfile` to settle (`NoSuchEntity`: nothing to delete).
 */
export function ownsProfile(
  tags: Readonly<Record<string, string>> | undefined,
  ownerTagKey: string,
  secretArn: string | undefined,
): boolean {
  if (tags === undefined) return true;
  return secretArn !== undefined && tags[ownerTagKey] === secretArn;
}

/**
 * The users a Delete looks at: the physical ID (the user this resource gave a profile to), and
 * the user of the properties when it differs (CloudFormation made the physical ID up because the
 * Create never answered, or the Create failed before it knew the user).
 */
export function deleteTargets(physicalResourceId: string | undefined, userName: unknown): string[] {
  const targets: string[] = [];
  if (physicalResourceId) targets.push(physicalResourceId);
  if (typeof userName === 'string' && userName !== physicalResourceId) targets.push(userName);
  return targets;
}

/** What a replayed event whose first version lost its stage does. */
export type OvertakenReplay =
  /** Finish with `versionId`, one of this event's own later attempts: set its password, promote it. */
  | { readonly finish: string; readonly current: string | undefined }
  /** A later event changed the password since: change nothing, answer with the current version. */
  | { readonly finish: undefined; readonly current: string | undefined };

/**
 * Decides a replay whose first version was overtaken, from the secret's version stages and the
 * tokens this event may have written: the version holding `AWSPENDING`, else `AWSCURRENT`, when
 * it is one of the event's own.
 */
export function settleReplay(
  stages: Readonly<Record<string, readonly string[]>>,
  ownTokens: ReadonlySet<string>,
): OvertakenReplay {
  const current = stageHolder(stages, 'AWSCURRENT');
  const finish = [stageHolder(stages, 'AWSPENDING'), current].find((id) => id !== undefined && ownTokens.has(id));
  return { finish, current };
}

/**
 * IAM: the client, and the calls whose answer needs translating for the handlers (an absent
 * entity is an answer, not a failure; tags as a record). Every other IAM call is sent as it is,
 * through `call`.
 */
import {
  DeleteAccountPasswordPolicyCommand,
  DeleteLoginProfileCommand,
  GetAccountPasswordPolicyCommand,
  GetLoginProfileCommand,
  GetUserCommand,
  IAMClient,
  PasswordPolicy,
  TagUserCommand,
} from '@aws-sdk/client-iam';
import { isAwsError } from '../runtime/errors';
import type { Deadline } from '../runtime/invocation';
import { call, clientOf } from './call';

/** The IAM client (created once per Lambda container). */
export function iam(): IAMClient {
  return clientOf(IAMClient);
}

/** Runs `fn`; `absent` when it fails with `NoSuchEntity`. */
async function orWhenNoSuchEntity<T, A>(fn: () => Promise<T>, absent: A): Promise<T | A> {
  try {
    return await fn();
  } catch (error) {
    if (isAwsError(error, 'NoSuchEntity')) return absent;
    throw error;
  }
}

/** The user's tags, or `undefined` when the user does not exist. */
export async function userTags(deadline: Deadline, userName: string): Promise<Record<string, string> | undefined> {
  return orWhenNoSuchEntity(async () => {
    const response = await call(deadline, iam(), new GetUserCommand({ UserName: userName }));
    const tags: Record<string, string> = {};
    for (const tag of response.User?.Tags ?? []) if (tag.Key) tags[tag.Key] = tag.Value ?? '';
    return tags;
  }, undefined);
}

/** Sets `tags` on the user (in one call; other tags stay). */
export async function tagUser(deadline: Deadline, userName: string, tags: Record<string, string>): Promise<void> {
  const list = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
  await call(deadline, iam(), new TagUserCommand({ UserName: userName, Tags: list }));
}

/** Whether the user has a login profile (`false` when it or the user does not exist). */
export async function hasLoginProfile(deadline: Deadline, userName: string): Promise<boolean> {
  return orWhenNoSuchEntity(async () => {
    await call(deadline, iam(), new GetLoginProfileCommand({ UserName: userName }));
    return true;
  }, false);
}

/** Deletes the login profile; `false` when there was none (`NoSuchEntity`). */
export async function deleteLoginProfile(deadline: Deadline, userName: string): Promise<boolean> {
  return orWhenNoSuchEntity(async () => {
    await call(deadline, iam(), new DeleteLoginProfileCommand({ UserName: userName }));
    return true;
  }, false);
}

/** Every field of the account's password policy, or `undefined` when the account has none. */
export async function readPasswordPolicy(deadline: Deadline): Promise<PasswordPolicy | undefined> {
  return orWhenNoSuchEntity(
    async () => (await call(deadline, iam(), new GetAccountPasswordPolicyCommand({}))).PasswordPolicy,
    undefined,
  );
}

/** Removes the account's password policy; `false` when there was none (`NoSuchEntity`). */
export async function deleteAccountPasswordPolicy(deadline: Deadline): Promise<boolean> {
  return orWhenNoSuchEntity(async () => {
    await call(deadline, iam(), new DeleteAccountPasswordPolicyCommand({}));
    return true;
  }, false);
}

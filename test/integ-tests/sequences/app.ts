/**
 * The sequences app: two stacks whose content depends on the context value `step`, deployed one
 * step after another in a real account by `sequences/run.ts` (through `npm run integ:deploy`), so
 * that the library's handlers meet every genuine sequence of custom-resource events and log what
 * CloudFormation's record shows at each (`{"message":"attestation",...}`).
 *
 * Main stack (`SEQUENCES_STACK`), by step:
 *  1. create: an `AccountPasswordPolicy`, a reset-required `ConsoleUser` (`ResetUser`), an
 *     ordinary one (`PlainUser`), a plain `iam.User` with a `LoginProfile` (`VendorLoginProfile`);
 *  2. update: the reset flag flips, `PlainUser` gets a reset token, the vendor's password length
 *     and the policy's minimum length change (one in-place Update each);
 *  3. rename: `PlainUser` gets a new user name (a new IAM user; the login profile's Update answers
 *     a new physical ID; CloudFormation deletes the old one in its cleanup);
 *  4. move: the vendor's login profile moves to another construct path (a new logical ID for the
 *     same user: Create of the new one, then Delete of the old one);
 *  5. failed update: `PlainUser` is renamed again and `ExtraUser` is added, then a wait condition
 *     that nobody signals fails after them: CloudFormation rolls back (the rename's rollback
 *     Update, the Delete of the created profile and of the rename's replacement).
 * Step 6, the stack delete, has no template: the runner deletes the stack.
 *
 * Failed-create stack (`FAILED_CREATE_STACK`, same at every step): a `ConsoleUser` (`HeldUser`),
 * then a `LoginProfile` for a user that does not exist, whose Create fails: its first deployment
 * rolls back (ROLLBACK_IN_PROGRESS) with the Delete of the failed Create and of `HeldUser`'s.
 * (The password policy orders every login profile of the app after it, so this stack depends on
 * the main one in the assembly; the runner deploys each stack with `--exclusively`.)
 *
 * A wait condition fails the update rather than a resource named like an existing one: since
 * 2025 CloudFormation's pre-deployment validation refuses a name conflict before the update
 * starts (User Guide, "Validate stack deployments"), and then no event would be sent at all.
 *
 * Every log group is retained (an Aspect sets DeletionPolicy and UpdateReplacePolicy to Retain):
 * the library deletes its log groups with the stack, and the logs of the Deletes must outlive
 * it. The runner deletes them with the SDK when it has read them.
 *
 * Run as a CDK app (`-c step=N -c runId=ID`); tests build it in-process with `buildSequencesApp`.
 */
import { App, Aspects, CfnResource, IAspect, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudformation from 'aws-cdk-lib/aws-cloudformation';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, IConstruct } from 'constructs';
import { AccountPasswordPolicy, ConsoleUser, LoginProfile } from '../../../lib';
import type { StepName } from './recording';

/** The main stack's name. */
export const SEQUENCES_STACK = 'CdkConsoleUsersSequences';
/** The name of the stack whose first deployment fails. */
export const FAILED_CREATE_STACK = 'CdkConsoleUsersSequencesFailedCreate';
/** The steps that have a template (step 6 deletes the stack). */
export const TEMPLATE_STEPS = [1, 2, 3, 4, 5] as const;
/**
 * How the runner takes each step: the stack, the template step it deploys (none: it deletes the
 * stack), and the status the stack must end in (a ROLLBACK status: the deployment must fail).
 */
export const STEP_PLAN: Record<
  StepName,
  { readonly stack: string; readonly templateStep?: number; readonly endsIn: string }
> = {
  create: { stack: SEQUENCES_STACK, templateStep: 1, endsIn: 'CREATE_COMPLETE' },
  update: { stack: SEQUENCES_STACK, templateStep: 2, endsIn: 'UPDATE_COMPLETE' },
  rename: { stack: SEQUENCES_STACK, templateStep: 3, endsIn: 'UPDATE_COMPLETE' },
  move: { stack: SEQUENCES_STACK, templateStep: 4, endsIn: 'UPDATE_COMPLETE' },
  failedUpdate: { stack: SEQUENCES_STACK, templateStep: 5, endsIn: 'UPDATE_ROLLBACK_COMPLETE' },
  stackDelete: { stack: SEQUENCES_STACK, endsIn: 'DELETE_COMPLETE' },
  // The failed-create stack is the same at every step.
  failedFirstDeploy: { stack: FAILED_CREATE_STACK, templateStep: 1, endsIn: 'ROLLBACK_COMPLETE' },
};
/** The run ID of an app built without one (offline tests and `cdk synth`). */
export const OFFLINE_RUN_ID = 'offline';

/** The logical IDs of the library's custom resources that the sequences exercise. */
export interface SequenceLogicalIds {
  readonly policy: string;
  readonly resetProfile: string;
  readonly plainProfile: string;
  /** The vendor's login profile at its first construct path (steps 1 to 3). */
  readonly vendorProfile: string;
  /** The vendor's login profile after the move (steps 4 and 5). */
  readonly movedVendorProfile: string;
  /** Added by the failed update (step 5). */
  readonly extraProfile: string;
  readonly heldProfile: string;
  readonly missingProfile: string;
}

/** The sequences app at `step`, with its stacks and the library's resources in them. */
export interface SequencesApp {
  readonly app: App;
  readonly main: Stack;
  readonly failedCreate: Stack;
  /** The login-profile and policy custom resources present at this step, by role. */
  readonly resources: Partial<Record<keyof SequenceLogicalIds, CfnResource>>;
}

/** Sets every log group's DeletionPolicy and UpdateReplacePolicy to Retain. */
class RetainLogGroups implements IAspect {
  public visit(node: IConstruct): void {
    if (node instanceof logs.CfnLogGroup) node.applyRemovalPolicy(RemovalPolicy.RETAIN);
  }
}

/** What the names of the users of run `runId` start with. */
export function userNamePrefix(runId: string): string {
  return `cdkcu-seq-${runId}-`;
}

/** The user names of one run (a run ID keeps concurrent or leftover runs apart). */
export function userNames(runId: string) {
  const prefix = userNamePrefix(runId).slice(0, -1);
  return {
    reset: `${prefix}-reset`,
    plain: `${prefix}-plain`,
    plainRenamed: `${prefix}-plain-b`,
    plainRenamedAgain: `${prefix}-plain-c`,
    vendor: `${prefix}-vendor`,
    extra: `${prefix}-extra`,
    held: `${prefix}-held`,
    missing: `${prefix}-missing`,
  };
}

/** The step from the app's context: a whole number 1 to 5. */
export function parseStep(value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(TEMPLATE_STEPS as readonly number[]).includes(n)) {
    throw new Error(
      `The sequences app's context value 'step' must be one of ${TEMPLATE_STEPS.join(', ')} (step 6 deletes the stack and has no template), got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

/** The run ID from the app's context: 1 to 12 lowercase letters and digits (it goes into user names). */
export function parseRunId(value: unknown): string {
  if (value === undefined) return OFFLINE_RUN_ID;
  if (typeof value !== 'string' || !/^[a-z0-9]{1,12}$/.test(value)) {
    throw new Error(
      `The sequences app's context value 'runId' must be 1 to 12 lowercase letters and digits, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** Builds the app at `step` (1 to 5) for run `runId`. */
export function buildSequencesApp(step: number, runId: string = OFFLINE_RUN_ID, app: App = new App()): SequencesApp {
  parseStep(step);
  parseRunId(runId);
  const names = userNames(runId);
  const resources: Partial<Record<keyof SequenceLogicalIds, CfnResource>> = {};

  // --- the main stack ---
  const main = new Stack(app, SEQUENCES_STACK, {
    description: 'cdk-console-users: real-account sequences of custom-resource events (test stack)',
  });
  const policy = new AccountPasswordPolicy(main, 'PasswordPolicy', {
    minimumPasswordLength: step >= 2 ? 16 : 14,
    requireSymbols: true,
    requireNumbers: true,
    requireUppercaseCharacters: true,
    requireLowercaseCharacters: true,
    allowUsersToChangePassword: true,
  });
  resources.policy = policy._resource;

  const reset = new ConsoleUser(main, 'ResetUser', {
    userName: names.reset,
    passwordResetRequired: step < 2,
  });
  resources.resetProfile = reset.loginProfile._resource;

  const plain = new ConsoleUser(main, 'PlainUser', {
    userName: step >= 5 ? names.plainRenamedAgain : step >= 3 ? names.plainRenamed : names.plain,
    passwordResetRequired: false,
    resetToken: step >= 2 ? 'second' : undefined,
  });
  resources.plainProfile = plain.loginProfile._resource;

  const vendorUser = new iam.User(main, 'VendorUser', { userName: names.vendor });
  const vendorScope = step >= 4 ? new Construct(main, 'Moved') : main;
  const vendor = new LoginProfile(vendorScope, 'VendorLoginProfile', {
    user: vendorUser,
    passwordResetRequired: false,
    passwordLength: step >= 2 ? 28 : 24,
  });
  resources[step >= 4 ? 'movedVendorProfile' : 'vendorProfile'] = vendor._resource;

  if (step === 5) {
    const extra = new ConsoleUser(main, 'ExtraUser', { userName: names.extra });
    resources.extraProfile = extra.loginProfile._resource;
    // Fails one second after it starts, which is after the rename's Update and the extra user's
    // Create have completed (it depends on both).
    const handle = new cloudformation.CfnWaitConditionHandle(main, 'NeverSignalledHandle');
    const failing = new cloudformation.CfnWaitCondition(main, 'FailsDeterministically', {
      handle: handle.ref,
      count: 1,
      timeout: '1',
    });
    failing.node.addDependency(plain, extra);
  }

  // --- the stack whose first deployment fails ---
  const failedCreate = new Stack(app, FAILED_CREATE_STACK, {
    description: 'cdk-console-users: a first deployment that fails and rolls back (test stack)',
  });
  const held = new ConsoleUser(failedCreate, 'HeldUser', { userName: names.held, passwordResetRequired: false });
  resources.heldProfile = held.loginProfile._resource;
  const missing = new LoginProfile(failedCreate, 'MissingUserLoginProfile', {
    user: iam.User.fromUserName(failedCreate, 'MissingUser', names.missing),
    passwordResetRequired: false,
  });
  // Only the custom resources are ordered: the provider's permissions name both secrets.
  missing._resource.node.addDependency(held.loginProfile._resource);
  resources.missingProfile = missing._resource;

  Aspects.of(app).add(new RetainLogGroups());
  return { app, main, failedCreate, resources };
}

/** The logical IDs of the library's resources over all steps of run `runId`. */
export function sequenceLogicalIds(runId: string = OFFLINE_RUN_ID): SequenceLogicalIds {
  const ids: Partial<Record<keyof SequenceLogicalIds, string>> = {};
  for (const step of TEMPLATE_STEPS) {
    const built = buildSequencesApp(step, runId);
    for (const [role, resource] of Object.entries(built.resources)) {
      ids[role as keyof SequenceLogicalIds] = Stack.of(resource).resolve(resource.logicalId) as string;
    }
  }
  return ids as SequenceLogicalIds;
}

/** Builds the sequences app into `app` from its context values `step` and `runId`. */
export function sequencesAppFromContext(app: App): SequencesApp {
  return buildSequencesApp(parseStep(app.node.tryGetContext('step')), parseRunId(app.node.tryGetContext('runId')), app);
}

if (require.main === module) {
  const app = new App();
  sequencesAppFromContext(app);
  app.synth();
}

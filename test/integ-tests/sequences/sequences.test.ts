/**
 * Offline tests of the real-account sequences: the app's templates at every step differ from the
 * previous step exactly as the sequence needs; CloudWatch log lines parse into observations; a
 * recording is compared with the driver's moments, naming step, moment and field of a mismatch.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import {
  FAILED_CREATE_STACK,
  SEQUENCES_STACK,
  STEP_PLAN,
  SequenceLogicalIds,
  TEMPLATE_STEPS,
  buildSequencesApp,
  parseRunId,
  parseStep,
  sequenceLogicalIds,
  sequencesAppFromContext,
  userNames,
} from './app';
import {
  ExpectedEvent,
  LogEvent,
  MOMENTS,
  STEP_NAMES,
  StepName,
  StepWindow,
  TimedObservation,
  compareRecording,
  expectedEvents,
  parseAttestation,
} from './recording';

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown>; DependsOn?: string[] }>;
type Tpl = { Resources: Resources };

const RUN_ID = 'test';
const names = userNames(RUN_ID);

/** Both stacks' templates at `step`, built in-process with the step in the app's context. */
function templatesAt(step: number): { main: Tpl; failedCreate: Tpl; raw: Record<string, Template> } {
  const built = sequencesAppFromContext(new App({ context: { step: String(step), runId: RUN_ID } }));
  const main = Template.fromStack(built.main);
  const failedCreate = Template.fromStack(built.failedCreate);
  return {
    main: main.toJSON() as Tpl,
    failedCreate: failedCreate.toJSON() as Tpl,
    raw: { [SEQUENCES_STACK]: main, [FAILED_CREATE_STACK]: failedCreate },
  };
}

const ofType = (t: Tpl, type: string) =>
  Object.fromEntries(Object.entries(t.Resources).filter(([, r]) => r.Type === type));

/** The library's custom resources (login profiles, password policy) by logical ID. */
const customResources = (t: Tpl) =>
  Object.fromEntries(Object.entries(t.Resources).filter(([, r]) => r.Type.startsWith('Custom::')));

/** `logicalId.Property` of every custom-resource property that differs between two templates. */
function changedCustomProperties(before: Tpl, after: Tpl): string[] {
  const a = customResources(before);
  const b = customResources(after);
  const changed: string[] = [];
  for (const id of Object.keys(a).filter((k) => k in b)) {
    const pa = a[id].Properties ?? {};
    const pb = b[id].Properties ?? {};
    for (const p of new Set([...Object.keys(pa), ...Object.keys(pb)])) {
      if (JSON.stringify(pa[p]) !== JSON.stringify(pb[p])) changed.push(`${id}.${p}`);
    }
  }
  return changed.sort();
}

/** The user name of every IAM user, by logical ID. */
const userNamesOf = (t: Tpl) =>
  Object.fromEntries(Object.entries(ofType(t, 'AWS::IAM::User')).map(([id, r]) => [id, r.Properties?.UserName]));

const added = (before: Tpl, after: Tpl) =>
  Object.keys(after.Resources)
    .filter((k) => !(k in before.Resources))
    .sort();
const removed = (before: Tpl, after: Tpl) => added(after, before);

describe('the sequences app', () => {
  const steps = Object.fromEntries(TEMPLATE_STEPS.map((s) => [s, templatesAt(s)]));
  const ids: SequenceLogicalIds = sequenceLogicalIds(RUN_ID);
  const userIdOf = (t: Tpl, userName: string) => Object.entries(userNamesOf(t)).find(([, n]) => n === userName)?.[0];

  test('step 1 creates the policy, a reset-required ConsoleUser, an ordinary one and a LoginProfile of a plain user', () => {
    const t = steps[1].main;
    expect(Object.keys(ofType(t, 'Custom::AccountPasswordPolicy'))).toEqual([ids.policy]);
    expect(Object.keys(ofType(t, 'Custom::ConsoleLoginProfile')).sort()).toEqual(
      [ids.resetProfile, ids.plainProfile, ids.vendorProfile].sort(),
    );
    const p = (id: string) => t.Resources[id].Properties!;
    expect(p(ids.resetProfile).PasswordResetRequired).toBe('true');
    expect(p(ids.plainProfile).PasswordResetRequired).toBe('false');
    expect(p(ids.plainProfile).ResetToken).toBeUndefined();
    expect(p(ids.vendorProfile).PasswordLength).toBe('24');
    expect(p(ids.policy).MinimumPasswordLength).toBe('14');
    expect(Object.values(userNamesOf(t)).sort()).toEqual([names.plain, names.reset, names.vendor].sort());
  });

  test('step 2 changes in place exactly the reset flag, a reset token, a password length and a policy field', () => {
    expect(added(steps[1].main, steps[2].main)).toEqual([]);
    expect(removed(steps[1].main, steps[2].main)).toEqual([]);
    expect(changedCustomProperties(steps[1].main, steps[2].main)).toEqual(
      [
        `${ids.policy}.MinimumPasswordLength`,
        `${ids.resetProfile}.PasswordResetRequired`,
        `${ids.plainProfile}.ResetToken`,
        `${ids.vendorProfile}.PasswordLength`,
      ].sort(),
    );
    const p = (id: string) => steps[2].main.Resources[id].Properties!;
    expect(p(ids.policy).MinimumPasswordLength).toBe('16');
    expect(p(ids.resetProfile).PasswordResetRequired).toBe('false');
    expect(p(ids.plainProfile).ResetToken).toBe('second');
    expect(p(ids.vendorProfile).PasswordLength).toBe('28');
    expect(userNamesOf(steps[2].main)).toEqual(userNamesOf(steps[1].main));
  });

  test("step 3 renames only PlainUser's IAM user (same logical ID: a replacement), its login profile's template unchanged", () => {
    const before = userNamesOf(steps[2].main);
    const after = userNamesOf(steps[3].main);
    const plainUser = userIdOf(steps[2].main, names.plain)!;
    expect(after).toEqual({ ...before, [plainUser]: names.plainRenamed });
    // The profile names its user by Ref: the user's replacement changes the value CloudFormation sends.
    expect(steps[3].main.Resources[ids.plainProfile].Properties!.UserName).toEqual({ Ref: plainUser });
    expect(changedCustomProperties(steps[2].main, steps[3].main)).toEqual([]);
    expect(added(steps[2].main, steps[3].main)).toEqual([]);
  });

  test("step 4 moves the vendor's login profile to a new logical ID for the same user", () => {
    const [before, after] = [steps[3].main, steps[4].main];
    expect(ids.movedVendorProfile).not.toBe(ids.vendorProfile);
    const profiles = (t: Tpl) => Object.keys(ofType(t, 'Custom::ConsoleLoginProfile')).sort();
    expect(profiles(after)).toEqual([ids.resetProfile, ids.plainProfile, ids.movedVendorProfile].sort());
    // Only the profile and its secret change logical ID; the user stays.
    expect(removed(before, after).filter((id) => before.Resources[id].Type !== 'AWS::SecretsManager::Secret')).toEqual([
      ids.vendorProfile,
    ]);
    expect(added(before, after).filter((id) => after.Resources[id].Type !== 'AWS::SecretsManager::Secret')).toEqual([
      ids.movedVendorProfile,
    ]);
    const vendorUser = userIdOf(before, names.vendor)!;
    expect(userIdOf(after, names.vendor)).toBe(vendorUser);
    expect(before.Resources[ids.vendorProfile].Properties!.UserName).toEqual({ Ref: vendorUser });
    expect(after.Resources[ids.movedVendorProfile].Properties!.UserName).toEqual({ Ref: vendorUser });
    expect(userNamesOf(after)).toEqual(userNamesOf(before));
  });

  test('step 5 renames PlainUser again, adds ExtraUser and a wait condition that fails after both', () => {
    const [before, after] = [steps[4].main, steps[5].main];
    const plainUser = userIdOf(before, names.plainRenamed)!;
    expect(userNamesOf(after)[plainUser]).toBe(names.plainRenamedAgain);
    expect(Object.keys(ofType(after, 'Custom::ConsoleLoginProfile'))).toContain(ids.extraProfile);
    expect(userIdOf(after, names.extra)).toBeDefined();
    const waits = ofType(after, 'AWS::CloudFormation::WaitCondition');
    expect(Object.keys(waits)).toHaveLength(1);
    const wait = Object.values(waits)[0];
    expect(wait.Properties).toMatchObject({ Count: 1, Timeout: '1' });
    expect(wait.DependsOn).toEqual(expect.arrayContaining([ids.plainProfile, ids.extraProfile, plainUser]));
    // Nothing but the failing resource waits for it: the rollback starts once it fails.
    for (const r of Object.values(after.Resources)) expect(r.DependsOn ?? []).not.toContain(Object.keys(waits)[0]);
  });

  test('the failing wait condition exists only in step 5', () => {
    for (const step of TEMPLATE_STEPS) {
      for (const stack of Object.values(steps[step].raw)) {
        stack.resourceCountIs(
          'AWS::CloudFormation::WaitCondition',
          step === 5 && stack === steps[step].raw[SEQUENCES_STACK] ? 1 : 0,
        );
      }
    }
  });

  test('every log group is retained, on delete and on replacement, in both stacks at every step', () => {
    for (const step of TEMPLATE_STEPS) {
      for (const [stack, t] of Object.entries(steps[step].raw)) {
        const groups = t.findResources('AWS::Logs::LogGroup');
        // The login-profile provider's, and the password policy's in the main stack.
        expect([stack, Object.keys(groups).length]).toEqual([stack, stack === SEQUENCES_STACK ? 2 : 1]);
        for (const g of Object.values(groups)) {
          expect(g).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
        }
      }
    }
  });

  test("the failed-create stack's second login profile is for a user no stack declares, created after the first", () => {
    const t = steps[1].failedCreate;
    const missing = t.Resources[ids.missingProfile];
    expect(missing.Properties!.UserName).toBe(names.missing);
    expect(missing.DependsOn).toContain(ids.heldProfile);
    // Deployed after the main stack is deleted: it must not reference it.
    expect(JSON.stringify(t)).not.toContain('Fn::ImportValue');
    for (const step of TEMPLATE_STEPS) {
      expect(Object.values(userNamesOf(steps[step].main))).not.toContain(names.missing);
      expect(Object.values(userNamesOf(steps[step].failedCreate))).toEqual([names.held]);
      expect(steps[step].failedCreate).toEqual(t);
    }
  });

  test('the policy, reset and plain login profiles keep their logical IDs at every step', () => {
    for (const step of TEMPLATE_STEPS) {
      for (const id of [ids.policy, ids.resetProfile, ids.plainProfile]) {
        expect([step, id, id in steps[step].main.Resources]).toEqual([step, id, true]);
      }
    }
  });

  test('the runner deploys the template steps of the main stack in order, expecting steps 5 and 7 to fail', () => {
    expect(Object.keys(STEP_PLAN)).toEqual([...STEP_NAMES]);
    expect(STEP_NAMES.map((s) => [s, STEP_PLAN[s].stack, STEP_PLAN[s].templateStep, STEP_PLAN[s].endsIn])).toEqual([
      ['create', SEQUENCES_STACK, 1, 'CREATE_COMPLETE'],
      ['update', SEQUENCES_STACK, 2, 'UPDATE_COMPLETE'],
      ['rename', SEQUENCES_STACK, 3, 'UPDATE_COMPLETE'],
      ['move', SEQUENCES_STACK, 4, 'UPDATE_COMPLETE'],
      ['failedUpdate', SEQUENCES_STACK, 5, 'UPDATE_ROLLBACK_COMPLETE'],
      ['stackDelete', SEQUENCES_STACK, undefined, 'DELETE_COMPLETE'],
      ['failedFirstDeploy', FAILED_CREATE_STACK, 1, 'ROLLBACK_COMPLETE'],
    ]);
  });

  test('fails when the step or the run ID in the context is not one the app knows', () => {
    for (const bad of ['0', '6', 'x', undefined, 2.5]) {
      expect(() => parseStep(bad)).toThrow(
        `The sequences app's context value 'step' must be one of 1, 2, 3, 4, 5 (step 6 deletes the stack and has no template), got ${JSON.stringify(bad)}`,
      );
    }
    expect(parseStep('3')).toBe(3);
    expect(() => parseRunId('Not-Valid')).toThrow(
      /'runId' must be 1 to 12 lowercase letters and digits, got "Not-Valid"/,
    );
    expect(() => buildSequencesApp(6)).toThrow(/'step' must be one of/);
    expect(() => sequencesAppFromContext(new App())).toThrow(/'step' must be one of .* got undefined/);
  });
});

// --- recordings ---

interface Fixture {
  readonly windows: StepWindow[];
  readonly events: LogEvent[];
}

const ids = sequenceLogicalIds(RUN_ID);
const expected = expectedEvents(ids);

/** The fixture of CloudWatch log events, with each `<role>` replaced by that role's logical ID. */
function fixture(): Fixture {
  let text = fs.readFileSync(path.join(__dirname, 'fixtures', 'attestation-log-events.json'), 'utf8');
  for (const [role, id] of Object.entries(ids)) text = text.split(`<${role}>`).join(id);
  return JSON.parse(text) as Fixture;
}

const parseAll = (events: readonly LogEvent[]) =>
  events.map(parseAttestation).filter((o): o is TimedObservation => o !== undefined);

describe('parsing the log lines into a recording', () => {
  test('reads only the attestation lines, in text and JSON log format, with booleans for physicalIdMatches', () => {
    const { events } = fixture();
    const observations = parseAll(events);
    const total = Object.values(expected).reduce((n, e) => n + e.length, 0);
    expect(observations).toHaveLength(total);
    expect(events.length).toBeGreaterThan(total);
    // The Update in the rename step.
    const renameWindow = fixture().windows.find((w) => w.step === 'rename')!;
    const inRename = observations.filter(
      (o) => o.timestamp >= renameWindow.started && o.timestamp <= renameWindow.ended,
    );
    expect(inRename.map(({ timestamp: _t, ...o }) => o)).toEqual([
      {
        requestType: 'Update',
        logicalId: ids.plainProfile,
        resourceStatus: 'UPDATE_IN_PROGRESS',
        physicalIdMatches: true,
        metadataIs: 'new',
      },
      {
        requestType: 'Delete',
        logicalId: ids.plainProfile,
        stackStatus: 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
        resourceStatus: 'UPDATE_COMPLETE',
        physicalIdMatches: false,
        metadataIs: 'other',
      },
    ]);
    // The line in Lambda's JSON log format (the move's Create).
    expect(observations.filter((o) => o.logicalId === ids.movedVendorProfile).map((o) => o.requestType)).toEqual([
      'Create',
      'Delete',
    ]);
  });

  test('keeps the reason of a refused event, and only the listed fields', () => {
    const line = JSON.stringify({
      message: 'attestation',
      requestType: 'Delete',
      logicalResourceId: 'X',
      resourceStatus: 'UPDATE_COMPLETE',
      physicalIdMatches: 'false',
      metadataIs: 'other',
      reason: 'StackNotInCleanup',
      userName: 'someone',
    });
    expect(parseAttestation({ timestamp: 5, message: `2026-12-07T00:00:00.000Z\tid\tINFO\t${line}\n` })).toEqual({
      timestamp: 5,
      requestType: 'Delete',
      logicalId: 'X',
      resourceStatus: 'UPDATE_COMPLETE',
      physicalIdMatches: false,
      metadataIs: 'other',
      reason: 'StackNotInCleanup',
    });
  });

  test('fails when an attestation line lacks a field or holds a value outside its set', () => {
    const base = {
      message: 'attestation',
      requestType: 'Update',
      logicalResourceId: 'X',
      resourceStatus: 'UPDATE_IN_PROGRESS',
      physicalIdMatches: 'true',
      metadataIs: 'new',
    };
    const at = (fields: object) => ({ timestamp: 7, message: JSON.stringify({ ...base, ...fields }) });
    expect(() => parseAttestation(at({ metadataIs: undefined }))).toThrow(
      "attestation line at 7: 'metadataIs' must be one of new, old, other, none, got undefined",
    );
    expect(() => parseAttestation(at({ physicalIdMatches: true }))).toThrow(
      "'physicalIdMatches' must be one of true, false, got true",
    );
    expect(() => parseAttestation(at({ requestType: 'Replay' }))).toThrow(
      "'requestType' must be one of Create, Update, Delete",
    );
    expect(() => parseAttestation(at({ stackStatus: 3 }))).toThrow("'stackStatus' must be a string, got 3");
    expect(parseAttestation({ timestamp: 1, message: 'REPORT RequestId: x Duration: 1 ms' })).toBeUndefined();
    expect(
      parseAttestation({ timestamp: 1, message: '{"message":"applied","action":"UpdateAccountPasswordPolicy"}' }),
    ).toBeUndefined();
  });
});

describe('comparing a recording with the driver’s moments', () => {
  const { windows, events } = fixture();
  const recorded = parseAll(events);
  // The fixture is in time order, as the labelled observations are: index i is the same event in both.
  const baseline = compareRecording(expected, windows, recorded).observations;
  const find = (step: StepName, moment: string) => {
    const i = baseline.findIndex((o) => o.step === step && o.moment === moment);
    expect(i).toBeGreaterThanOrEqual(0);
    return i;
  };
  const withChange = (i: number, change: Partial<TimedObservation>) =>
    recorded.map((o, j) => (j === i ? { ...o, ...change } : o));

  test('a recording that matches the model has no mismatch, and each observation is labelled with its step and moment', () => {
    const result = compareRecording(expected, windows, recorded);
    expect(result.mismatches).toEqual([]);
    const labels = result.observations.map((o) => `${o.step}/${o.moment}/${o.requestType}/${o.logicalId}`);
    const wanted = Object.entries(expected).flatMap(([step, list]) =>
      (list as readonly ExpectedEvent[]).map((e) => `${step}/${e.moment}/${e.requestType}/${e.logicalId}`),
    );
    expect([...labels].sort()).toEqual([...wanted].sort());
    // In the order the handlers logged them.
    expect(result.observations[0]).toMatchObject({ step: 'create', moment: 'createFirstDeploy' });
    expect(result.observations.at(-1)).toMatchObject({
      step: 'failedFirstDeploy',
      moment: 'rollbackDeleteFailedCreate',
    });
  });

  test('a rolled-back resource may show either rollback status; any other status is a mismatch naming step, moment and field', () => {
    const i = find('failedUpdate', 'rollbackUpdate');
    expect(
      compareRecording(expected, windows, withChange(i, { resourceStatus: 'UPDATE_ROLLBACK_IN_PROGRESS' })).mismatches,
    ).toEqual([]);
    const result = compareRecording(expected, windows, withChange(i, { resourceStatus: 'UPDATE_COMPLETE' }));
    expect(result.mismatches).toEqual([
      `step failedUpdate, moment rollbackUpdate, Update ${ids.plainProfile}: resourceStatus is "UPDATE_COMPLETE", expected ["UPDATE_IN_PROGRESS","UPDATE_ROLLBACK_IN_PROGRESS"]`,
    ]);
  });

  test('either side of an Update is allowed for metadata, anything else is a mismatch', () => {
    const i = find('update', 'update');
    expect(compareRecording(expected, windows, withChange(i, { metadataIs: 'old' })).mismatches).toEqual([]);
    expect(
      compareRecording(expected, windows, withChange(i, { metadataIs: 'other', reason: 'MetadataMismatch' }))
        .mismatches,
    ).toEqual([
      `step update, moment update, Update ${recorded[i].logicalId}: metadataIs is "other", expected ["new","old"] (the handler refused: MetadataMismatch)`,
    ]);
  });

  test('a stack status is compared when the handler logged one', () => {
    const i = find('rename', 'deleteReplaced');
    expect(
      compareRecording(expected, windows, withChange(i, { stackStatus: 'UPDATE_IN_PROGRESS' })).mismatches,
    ).toEqual([
      `step rename, moment deleteReplaced, Delete ${ids.plainProfile}: stackStatus is "UPDATE_IN_PROGRESS", expected "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"`,
    ]);
    const j = find('failedFirstDeploy', 'rollbackDeleteFailedCreate');
    expect(
      compareRecording(expected, windows, withChange(j, { stackStatus: 'ROLLBACK_IN_PROGRESS' })).mismatches,
    ).toEqual([]);
  });

  test('a missing, an extra and an out-of-window observation are each reported', () => {
    const i = find('move', 'deleteRemoved');
    const missing = recorded.filter((_, j) => j !== i);
    expect(compareRecording(expected, windows, missing).mismatches).toEqual([
      `step move, moment deleteRemoved, Delete ${ids.vendorProfile}: expected, not recorded`,
    ]);
    const extra = [...recorded, { ...recorded[i], timestamp: recorded[i].timestamp + 1 }];
    expect(compareRecording(expected, windows, extra).mismatches).toEqual([
      expect.stringMatching(new RegExp(`^step move: Delete ${ids.vendorProfile} not expected \\(`)),
    ]);
    const outside = [...recorded, { ...recorded[i], timestamp: windows[0].started - 1 }];
    const result = compareRecording(expected, windows, outside);
    expect(result.mismatches).toEqual([expect.stringMatching(/^outside every step: Delete .* not expected/)]);
    expect(result.observations[0]).toMatchObject({ step: 'outsideSteps', moment: 'unexpected' });
  });

  test('events of different logical IDs may interleave; those of one logical ID may not swap', () => {
    const create = windows.find((w) => w.step === 'create')!;
    const inCreate = recorded.filter((o) => o.timestamp >= create.started && o.timestamp <= create.ended);
    const swapped = recorded.map((o) =>
      o === inCreate[0]
        ? { ...o, timestamp: inCreate[1].timestamp }
        : o === inCreate[1]
          ? { ...o, timestamp: inCreate[0].timestamp }
          : o,
    );
    expect(compareRecording(expected, windows, swapped).mismatches).toEqual([]);

    const w = windows.find((x) => x.step === 'rename')!;
    const [update, del] = recorded.filter((o) => o.timestamp >= w.started && o.timestamp <= w.ended);
    const reversed = recorded.map((o) =>
      o === update ? { ...o, timestamp: del.timestamp } : o === del ? { ...o, timestamp: update.timestamp } : o,
    );
    expect(compareRecording(expected, windows, reversed).mismatches).toEqual(
      expect.arrayContaining([
        `step rename, moment update, Update ${ids.plainProfile}: requestType is "Delete", expected "Update"`,
        `step rename, moment deleteReplaced, Delete ${ids.plainProfile}: requestType is "Update", expected "Delete"`,
      ]),
    );
  });

  test('mirrors the ten moments of the driver’s model', () => {
    expect(Object.keys(MOMENTS).sort()).toEqual(
      [
        'createFirstDeploy',
        'createInUpdate',
        'update',
        'rollbackUpdate',
        'deleteRemoved',
        'deleteReplaced',
        'rollbackDeleteCreated',
        'rollbackDeleteReplacement',
        'rollbackDeleteFailedCreate',
        'stackDelete',
      ].sort(),
    );
    // Every moment is exercised by some step.
    const used = new Set(Object.values(expected).flatMap((list) => list.map((e) => e.moment)));
    expect([...used].sort()).toEqual(Object.keys(MOMENTS).sort());
  });
});

/**
 * Where a construct's template is deployed from: a stack of its own, or a template stack that
 * another stack deploys (a cdk-stacksets `StackSetStack`, a Service Catalog `ProductStack`).
 */
import { Annotations, Stack, Stage, cloud_assembly_schema as cxschema } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * The stack that holds `stack` in its construct tree, when `stack` is a template stack: a stack
 * defined inside another stack that is not a nested stack, such as a cdk-stacksets `StackSetStack`
 * or a Service Catalog `ProductStack`. Its template is an asset of that parent stack, deployed by
 * a resource of it (`AWS::CloudFormation::StackSet`, a product) rather than by the CDK CLI, so
 * it has no deployment order with other stacks, and aws-cdk-lib does not check its size.
 */
export function templateStackParent(stack: Stack): Stack | undefined {
  if (stack.nested) return undefined;
  for (let scope = stack.node.scope; scope !== undefined; scope = scope.node.scope) {
    if (Stage.isStage(scope)) return undefined;
    if (Stack.isStack(scope)) return scope;
  }
  return undefined;
}

/**
 * The scope within which CloudFormation deploys `construct` into one account: its template stack
 * when it is in one (each instance of a StackSet is deployed on its own), else its stage (the
 * stacks of one `cdk deploy`, ordered by their dependencies), else the app.
 */
export function deploymentUnit(construct: IConstruct): IConstruct {
  const stack = [...construct.node.scopes].reverse().find((scope): scope is Stack => Stack.isStack(scope));
  if (stack !== undefined && templateStackParent(stack) !== undefined) return stack;
  return Stage.of(construct) ?? construct.node.root;
}

/**
 * CloudFormation's largest template: 1 MB, read from S3 (`TemplateURL`), which is how a
 * template stack's template reaches CloudFormation.
 */
export const MAX_TEMPLATE_BYTES = 1_000_000;

/** Id of the synth error for a template stack over `MAX_TEMPLATE_BYTES`. */
export const TEMPLATE_SIZE_ERROR = 'cdk-console-users: template size';

const CHECKED = Symbol.for('cdk-console-users.templateSizeChecked');

/**
 * Makes synth fail when `scope`'s stack is a template stack whose template is over
 * `MAX_TEMPLATE_BYTES`. aws-cdk-lib warns about a large template only for the stacks it writes
 * itself; a template stack writes its own (cdk-stacksets writes it indented by two spaces, as
 * measured here), so without this check an oversized StackSet template fails at deploy, in every
 * account. Registered once per stack; a no-op for other stacks.
 */
export function checkTemplateSize(scope: IConstruct): void {
  const stack = Stack.of(scope);
  const marks = stack as unknown as Record<symbol, boolean | undefined>;
  if (marks[CHECKED] || templateStackParent(stack) === undefined) return;
  Object.defineProperty(marks, CHECKED, { value: true, enumerable: false });
  stack.node.addValidation({
    validate: () => {
      // `_toCloudFormation` is protected in aws-cdk-lib; template stacks call it to write their template.
      const template = (stack as unknown as { _toCloudFormation(): unknown })._toCloudFormation();
      const bytes = Buffer.byteLength(JSON.stringify(template, undefined, 2));
      if (bytes <= MAX_TEMPLATE_BYTES) return [];
      return [
        `${TEMPLATE_SIZE_ERROR}: the template of ${stack.node.path} is ${bytes} bytes; CloudFormation accepts at most ${MAX_TEMPLATE_BYTES}: split its resources into several template stacks`,
      ];
    },
  });
}

/**
 * Adds the warning `id` to `scope`, as `Annotations.addWarningV2` does. In a template stack, whose
 * annotations the cloud assembly does not collect (it has no artifact of its own), the warning is
 * also added to the parent stack, prefixed with `scope`'s path, so that `cdk synth` shows it.
 * Acknowledge it on `scope` or on one of its ancestors before it is added, or on the parent stack.
 */
export function addWarning(scope: IConstruct, id: string, message: string): void {
  Annotations.of(scope).addWarningV2(id, message);
  const stack = [...scope.node.scopes].reverse().find((s): s is Stack => Stack.isStack(s));
  const parent = stack && templateStackParent(stack);
  if (parent === undefined) return;
  const added = scope.node.metadata.some(
    (entry) => entry.type === cxschema.ArtifactMetadataEntryType.WARN && String(entry.data).startsWith(message),
  );
  if (added) Annotations.of(parent).addWarningV2(id, `${scope.node.path}: ${message}`);
}

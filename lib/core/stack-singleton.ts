/** One construct of a kind per stack, found by its id directly under the stack. */
import { Stack } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { PropValidationError } from './validation';

/** The construct `id` of `scope`'s stack (one `isT` accepts), made by `create` if it does not exist yet. */
export function stackSingleton<T extends Construct>(
  scope: IConstruct,
  id: string,
  isT: (existing: IConstruct) => existing is T,
  create: (stack: Stack, id: string) => T,
): T {
  const stack = Stack.of(scope);
  const existing = stack.node.tryFindChild(id);
  if (existing !== undefined && isT(existing)) return existing;
  if (existing !== undefined) {
    throw new PropValidationError(
      existing,
      `the id '${id}' is taken by another construct; cdk-console-users needs it for its own construct in stack ${stack.node.path}`,
    );
  }
  return create(stack, id);
}

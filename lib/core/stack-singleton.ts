/** One construct of a kind per stack, found by its id directly under the stack. */
import { Stack } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { PropValidationError } from './validation';

/**
 * The construct `id` of `scope`'s stack, an instance of `type`, made by `create` if it does not
 * exist yet. Found by id, not kept in a module-level map, so nothing outlives its app.
 */
export function stackSingleton<T extends Construct>(
  scope: IConstruct,
  id: string,
  type: { readonly prototype: T },
  create: (stack: Stack, id: string) => T,
): T {
  const stack = Stack.of(scope);
  const existing = stack.node.tryFindChild(id);
  // `type.prototype` rather than `instanceof type`: the singletons' constructors are private.
  if (existing !== undefined && type.prototype.isPrototypeOf(existing)) return existing as T;
  if (existing !== undefined) {
    throw new PropValidationError(
      existing,
      `the id '${id}' is taken by another construct; cdk-console-users needs it for its own construct in stack ${stack.node.path}`,
    );
  }
  return create(stack, id);
}

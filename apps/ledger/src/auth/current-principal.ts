import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ForbiddenError, PRINCIPAL, type WithPrincipal } from './principal';

/** The authenticated caller, as AccessGuard established it. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, ctx: ExecutionContext) => {
  const principal = ctx.switchToHttp().getRequest<WithPrincipal>()[PRINCIPAL];
  // Only a public route has none, and public routes do not ask for it.
  if (principal === undefined) throw new ForbiddenError('this route needs an authenticated caller');
  return principal;
});

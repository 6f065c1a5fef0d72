import type { HookDelivery, HookSource } from '@heddle/db';
import type {
  HookDeliveryResponseDto,
  HookKind,
  HookSourceConfigDto,
  HookSourceResponseDto,
} from './dto/hook-source.dto';

/** The public path of a source: its id addresses it; its secret authenticates the sender. */
export function hookPath(id: string): string {
  return `/api/hooks/${id}`;
}

export function toHookSourceResponse(source: HookSource): HookSourceResponseDto {
  return {
    id: source.id,
    name: source.name,
    kind: source.kind as HookKind,
    path: hookPath(source.id),
    config: source.config as HookSourceConfigDto,
    enabled: source.enabled,
    previousSecretExpiresAt: source.previousSecretExpiresAt?.toISOString() ?? null,
    createdAt: source.createdAt.toISOString(),
    updatedAt: source.updatedAt.toISOString(),
  };
}

export function toHookDeliveryResponse(delivery: HookDelivery): HookDeliveryResponseDto {
  return {
    id: delivery.id,
    deliveryId: delivery.deliveryId,
    event: delivery.event,
    outcome: delivery.outcome,
    taskId: delivery.taskId,
    createdAt: delivery.createdAt.toISOString(),
  };
}

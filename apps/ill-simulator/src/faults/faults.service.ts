import { Injectable } from '@nestjs/common';
import { notFound } from '@illbridge/common/errors';
import { FaultPlan } from './fault-plan';

/** The fault plans of the simulated systems, keyed by system name ('libris', 'nacsis', …).
 *  A system exists once a fault-injection middleware guards its routes. */
@Injectable()
export class FaultsService {
  private readonly plans = new Map<string, FaultPlan>();

  register(system: string): void {
    if (!this.plans.has(system)) this.plans.set(system, new FaultPlan());
  }

  plan(system: string): FaultPlan {
    const plan = this.plans.get(system);
    if (!plan) throw notFound(`simulated system "${system}"`);
    return plan;
  }
}

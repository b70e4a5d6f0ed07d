import { Body, Controller, Delete, Get, HttpCode, Param, Post, UseFilters } from '@nestjs/common';
import { ApiExceptionFilter } from '@illbridge/common/http-errors';
import { FaultSettingsDto } from './fault-settings.dto';
import { FaultsService } from './faults.service';

/** Test control of fault injection, per simulated system. Each answer is the system's fault
 *  settings and the counts of calls it served: `{ system, settings, counts }`. */
@Controller('_sim/faults/:system')
@UseFilters(ApiExceptionFilter)
export class FaultsController {
  constructor(private readonly faults: FaultsService) {}

  @Get()
  show(@Param('system') system: string) {
    return { system, ...this.faults.plan(system).snapshot() };
  }

  @Post()
  @HttpCode(200)
  configure(@Param('system') system: string, @Body() settings: FaultSettingsDto) {
    this.faults.plan(system).configure(settings);
    return this.show(system);
  }

  @Delete()
  reset(@Param('system') system: string) {
    this.faults.plan(system).reset();
    return this.show(system);
  }
}

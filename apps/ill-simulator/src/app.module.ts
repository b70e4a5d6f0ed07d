import { Module } from '@nestjs/common';
import { FaultsModule } from './faults/faults.module';
import { HealthController } from './health.controller';
import { Iso18626SimModule } from './iso18626/iso18626-sim.module';
import { LibrisSimulatorModule } from './libris/libris.module';
import { NacsisSimulatorModule } from './nacsis/nacsis.module';
import { NetpunktSimModule } from './netpunkt/netpunkt-sim.module';

/** Local stand-ins of the external ILL systems, with fault injection (development and tests only). */
@Module({
  imports: [FaultsModule, LibrisSimulatorModule, NacsisSimulatorModule, NetpunktSimModule, Iso18626SimModule],
  controllers: [HealthController],
})
export class AppModule {}

import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { APP_CONFIG, AppConfig, DEFAULT_NETPUNKT_THROTTLE } from '@illbridge/common';
import { redisOptions } from '@illbridge/queues/redis';

/**
 * Counts failed Netpunkt authentications (unknown requester or wrong password) per source address and
 * per requester, in Redis so that every profile-config instance shares the count. Once either count
 * reaches its limit, receipts from that address or for that requester are not checked at all until the
 * window has passed. When Redis is down each instance counts in its own memory instead: the endpoint
 * answers as it does without Redis, and guessing stays throttled.
 */
@Injectable()
export class NetpunktThrottle implements OnModuleDestroy {
  private readonly logger = new Logger(NetpunktThrottle.name);
  private readonly redis: Redis;
  private readonly byAddress: RateLimiterRedis;
  private readonly byRequester: RateLimiterRedis;
  readonly windowSeconds: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const limits = config.netpunktThrottle ?? DEFAULT_NETPUNKT_THROTTLE;
    this.windowSeconds = limits.windowSeconds;
    this.redis = new Redis({ ...redisOptions(config.redisUrl, 'producer'), lazyConnect: true });
    this.redis.on('error', () => undefined);
    this.redis.connect().catch((error) => this.logger.warn(`Redis is not reachable for the Netpunkt throttle (counting in memory): ${error.message}`));
    const limiter = (name: string, points: number) =>
      new RateLimiterRedis({
        storeClient: this.redis,
        keyPrefix: `${config.queuePrefix}:netpunkt-failures:${name}`,
        points,
        duration: limits.windowSeconds,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory({ points, duration: limits.windowSeconds }),
      });
    this.byAddress = limiter('address', limits.perAddress);
    this.byRequester = limiter('requester', limits.perRequester);
  }

  /** True when this address or requester has used up its failed attempts for now. */
  async blocked(address: string, requester: string): Promise<boolean> {
    const [a, r] = await Promise.all([this.byAddress.get(address), this.byRequester.get(requester)]);
    return (a?.consumedPoints ?? 0) >= this.byAddress.points || (r?.consumedPoints ?? 0) >= this.byRequester.points;
  }

  /** Counts one failed attempt against both. */
  async failed(address: string, requester: string): Promise<void> {
    // consume rejects with the limiter's answer once the limit is passed: that is counted all the same.
    await Promise.all([this.byAddress.consume(address).catch(() => undefined), this.byRequester.consume(requester).catch(() => undefined)]);
  }

  onModuleDestroy() {
    this.redis.disconnect();
  }
}

/** The external systems: those a profile connects to (one connector folder each), and those a partner may be on. */
export const PARTNER_SYSTEMS = ['LIBRIS', 'NACSIS', 'NETPUNKT', 'ISO18626', 'EMAIL'] as const;
export type PartnerSystem = (typeof PARTNER_SYSTEMS)[number];

export const PROFILE_SYSTEMS = ['LIBRIS', 'NACSIS', 'NETPUNKT', 'ISO18626'] as const;
export type ProfileSystem = (typeof PROFILE_SYSTEMS)[number];

import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { ROLES, type Role } from '../../../libs/database/src/entities/enums';
import { api, apiKey } from './lib/api';

export interface Me {
  id: string;
  name: string;
  role: Role;
}

interface Session {
  key: string | null;
  me: Me | undefined;
  loading: boolean;
  signIn(key: string): Promise<void>;
  signOut(): void;
  /** Roles nest: admin ⊃ operator ⊃ viewer. */
  can(role: Role): boolean;
}

const SessionContext = createContext<Session | null>(null);

/** The signed-in key (sessionStorage only) and what GET /api/me says about it. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [key, setKey] = useState<string | null>(() => apiKey.get());
  const me = useQuery({ queryKey: ['me', key], queryFn: () => api<Me>('reporting', '/api/me'), enabled: !!key, retry: false, staleTime: Infinity });

  const signOut = useCallback(() => {
    apiKey.clear();
    queryClient.clear();
    setKey(null);
  }, [queryClient]);

  const signIn = useCallback(
    async (candidate: string) => {
      const found = await api<Me>('reporting', '/api/me', { key: candidate });
      apiKey.set(candidate);
      queryClient.setQueryData(['me', candidate], found);
      setKey(candidate);
    },
    [queryClient],
  );

  // A key deleted while in use: every call answers 401, and the console asks for a key again.
  useEffect(() => {
    const onUnauthenticated = () => signOut();
    window.addEventListener('illbridge:unauthenticated', onUnauthenticated);
    return () => window.removeEventListener('illbridge:unauthenticated', onUnauthenticated);
  }, [signOut]);

  const value = useMemo<Session>(
    () => ({
      key,
      me: me.data,
      loading: !!key && me.isPending,
      signIn,
      signOut,
      can: (role: Role) => !!me.data && ROLES.indexOf(me.data.role) >= ROLES.indexOf(role),
    }),
    [key, me.data, me.isPending, signIn, signOut],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}

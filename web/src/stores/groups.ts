// The caller's groups, so a group conversation can be managed (rename, members, leave): a
// conversation summary does not carry its group id, so groups are matched by conversation_id.
import { create } from "zustand";
import * as api from "../api/groups";
import type { Group, GroupDetail } from "../api/types";
import { useUsers } from "./users";

interface GroupsState {
  byConversation: Record<string, Group>;
  details: Record<number, GroupDetail>;
  load: () => Promise<void>;
  /** Reads a group with its members. */
  loadDetail: (groupId: number) => Promise<GroupDetail>;
  create: (name: string, memberIds: number[]) => Promise<GroupDetail>;
  rename: (groupId: number, name: string) => Promise<void>;
  addMember: (groupId: number, userId: number) => Promise<void>;
  removeMember: (groupId: number, userId: number) => Promise<void>;
  leave: (groupId: number) => Promise<void>;
  reset: () => void;
}

export const useGroups = create<GroupsState>()((set, get) => {
  const remember = (group: Group) =>
    set((s) => ({ byConversation: { ...s.byConversation, [group.conversation_id]: group } }));
  const rememberDetail = (detail: GroupDetail) => {
    remember(detail);
    set((s) => ({ details: { ...s.details, [detail.id]: detail } }));
    useUsers.getState().ensure(detail.members.map((m) => m.user_id));
    return detail;
  };

  return {
    byConversation: {},
    details: {},
    load: async () => {
      const groups = await api.fetchGroups();
      set({ byConversation: Object.fromEntries(groups.map((g) => [g.conversation_id, g])) });
    },
    loadDetail: async (groupId) => rememberDetail(await api.fetchGroup(groupId)),
    create: async (name, memberIds) => rememberDetail(await api.createGroup(name, memberIds)),
    rename: async (groupId, name) => {
      remember(await api.renameGroup(groupId, name));
      await get().loadDetail(groupId);
    },
    addMember: async (groupId, userId) => {
      await api.addGroupMember(groupId, userId);
      await get().loadDetail(groupId);
    },
    removeMember: async (groupId, userId) => {
      await api.removeGroupMember(groupId, userId);
      await get().loadDetail(groupId);
    },
    leave: async (groupId) => {
      await api.leaveGroup(groupId);
      set((s) => {
        const details = { ...s.details };
        delete details[groupId];
        const byConversation = Object.fromEntries(Object.entries(s.byConversation).filter(([, g]) => g.id !== groupId));
        return { details, byConversation };
      });
    },
    reset: () => set({ byConversation: {}, details: {} }),
  };
});

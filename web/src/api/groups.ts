// Groups and their members.
import { request } from "./http";
import type { Group, GroupDetail, GroupMember } from "./types";

export const fetchGroups = () => request<Group[]>("GET", "/api/groups");
export const fetchGroup = (id: number) => request<GroupDetail>("GET", `/api/groups/${id}`);
export const createGroup = (name: string, memberIds: number[]) =>
  request<GroupDetail>("POST", "/api/groups", { name, member_ids: memberIds });
export const renameGroup = (id: number, name: string) => request<Group>("PATCH", `/api/groups/${id}`, { name });
export const addGroupMember = (id: number, userId: number) =>
  request<GroupMember>("POST", `/api/groups/${id}/members`, { user_id: userId });
export const removeGroupMember = (id: number, userId: number) =>
  request<void>("DELETE", `/api/groups/${id}/members/${userId}`);
export const leaveGroup = (id: number) => request<void>("POST", `/api/groups/${id}/leave`);

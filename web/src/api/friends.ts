// Friend requests, friendships and blocks.
import { request } from "./http";
import type { FriendLists, Friendship } from "./types";

export const fetchFriendLists = () => request<FriendLists>("GET", "/api/friends");
export const sendFriendRequest = (userId: number) =>
  request<Friendship>("POST", "/api/friends/requests", { user_id: userId });
export const acceptFriendRequest = (userId: number) =>
  request<Friendship>("POST", `/api/friends/requests/${userId}/accept`);
export const declineFriendRequest = (userId: number) =>
  request<Friendship>("POST", `/api/friends/requests/${userId}/decline`);
export const withdrawFriendRequest = (userId: number) =>
  request<void>("DELETE", `/api/friends/requests/${userId}`);
export const unfriend = (userId: number) => request<void>("DELETE", `/api/friends/${userId}`);
export const blockUser = (userId: number) => request<Friendship>("PUT", `/api/friends/${userId}/block`);
export const unblockUser = (userId: number) => request<void>("DELETE", `/api/friends/${userId}/block`);

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";

/// @notice A stand-in for IoTeX's IIP-13 SystemStaking2 NFT contract, for
/// tests of voting power read at a past block. Its reading surface is the
/// real one's: ERC-721 ownership (plain ERC-721, not Enumerable: an owner's
/// buckets are found from Transfer events, then `ownerOf` at the block),
/// `bucketOf(id)` returning the same struct, `blocksToUnstake`,
/// `blocksToWithdraw`, the same constants and events. Durations are in
/// blocks (one day is 17 280 five-second blocks); `unlockedAt ==
/// type(uint256).max` means locked (auto-stake on), `unstakedAt ==
/// type(uint256).max` means still staked.
/// @dev Unlike the real contract it checks no minimum amount or duration
/// step, lets `unlock` restart the countdown of an unlocked bucket and
/// `unstake` a bucket at any time, and lets a test create (`mintBucket`),
/// rewrite (`setBucket`) and destroy (`burn`) buckets in any state for any
/// owner without sending IOTX.
contract TestSystemStaking is ERC721 {
    struct Bucket {
        uint256 amount;
        uint256 duration;
        uint256 unlockedAt;
        uint256 unstakedAt;
        address delegate;
    }

    uint256 public constant UINT256_MAX = type(uint256).max;
    uint256 public constant ONE_DAY = 17280;
    uint256 public constant UNSTAKE_FREEZE_BLOCKS = 3 * ONE_DAY;

    event Staked(uint256 indexed bucketId, address delegate, uint256 amount, uint256 duration);
    event Locked(uint256 indexed bucketId, uint256 duration);
    event Unlocked(uint256 indexed bucketId);
    event Unstaked(uint256 indexed bucketId);
    event DelegateChanged(uint256 indexed bucketId, address newDelegate);

    error ErrNotOwner();
    error ErrNotStakedBucket();
    error ErrNotUnstakedBucket();

    mapping(uint256 => Bucket) private buckets;
    /// @notice The id the next bucket gets (ids start at 1, as in the real one).
    uint256 public nextId = 1;

    constructor() ERC721("Test Bucket", "TBKT") {}

    modifier onlyBucketOwner(uint256 id) {
        if (ownerOf(id) != msg.sender) revert ErrNotOwner();
        _;
    }

    /// @notice Stakes msg.value for `duration` blocks, locked, to the caller.
    function stake(uint256 duration, address delegate) external payable returns (uint256) {
        return _create(msg.sender, Bucket(msg.value, duration, UINT256_MAX, UINT256_MAX, delegate));
    }

    /// @notice Test only: a bucket in any state for any owner.
    function mintBucket(
        address owner,
        uint256 amount,
        uint256 duration,
        uint256 unlockedAt,
        uint256 unstakedAt,
        address delegate
    ) external returns (uint256) {
        return _create(owner, Bucket(amount, duration, unlockedAt, unstakedAt, delegate));
    }

    /// @notice Test only: rewrites a bucket from this block on.
    function setBucket(
        uint256 id,
        uint256 amount,
        uint256 duration,
        uint256 unlockedAt,
        uint256 unstakedAt,
        address delegate
    ) external {
        _requireOwned(id);
        buckets[id] = Bucket(amount, duration, unlockedAt, unstakedAt, delegate);
    }

    /// @notice Test only: destroys a bucket, as the real withdraw does.
    function burn(uint256 id) external {
        _burn(id);
        delete buckets[id];
    }

    /// @notice Starts the unlock countdown: `unlockedAt` = this block.
    function unlock(uint256 id) external onlyBucketOwner(id) {
        buckets[id].unlockedAt = block.number;
        emit Unlocked(id);
    }

    /// @notice Locks again. As in the real SystemStaking2, the stored
    /// duration is kept: `duration` is only emitted.
    function lock(uint256 id, uint256 duration) external onlyBucketOwner(id) {
        Bucket storage b = buckets[id];
        if (b.unstakedAt != UINT256_MAX) revert ErrNotStakedBucket();
        b.unlockedAt = UINT256_MAX;
        emit Locked(id, duration);
    }

    /// @notice Unstakes now: both `unlockedAt` and `unstakedAt` = this block,
    /// as the real one sets them.
    function unstake(uint256 id) external onlyBucketOwner(id) {
        Bucket storage b = buckets[id];
        b.unlockedAt = block.number;
        b.unstakedAt = block.number;
        emit Unstaked(id);
    }

    function changeDelegate(uint256 id, address delegate) external onlyBucketOwner(id) {
        buckets[id].delegate = delegate;
        emit DelegateChanged(id, delegate);
    }

    /// @notice The bucket; reverts for an id never minted or burnt, with the
    /// real contract's message.
    function bucketOf(uint256 id) external view returns (Bucket memory) {
        _requireBucket(id);
        return buckets[id];
    }

    /// @notice Blocks until the bucket may be unstaked: its whole duration
    /// while locked, then counting down from `unlockedAt`.
    function blocksToUnstake(uint256 id) external view returns (uint256) {
        _requireBucket(id);
        Bucket storage b = buckets[id];
        if (b.unstakedAt != UINT256_MAX) revert ErrNotStakedBucket();
        if (b.unlockedAt == UINT256_MAX) return b.duration;
        uint256 ready = b.unlockedAt + b.duration;
        return ready > block.number ? ready - block.number : 0;
    }

    /// @notice Blocks until an unstaked bucket may be withdrawn.
    function blocksToWithdraw(uint256 id) external view returns (uint256) {
        _requireBucket(id);
        uint256 unstakedAt = buckets[id].unstakedAt;
        if (unstakedAt == UINT256_MAX) revert ErrNotUnstakedBucket();
        uint256 ready = unstakedAt + UNSTAKE_FREEZE_BLOCKS;
        return ready > block.number ? ready - block.number : 0;
    }

    function _create(address owner, Bucket memory b) private returns (uint256 id) {
        id = nextId++;
        buckets[id] = b;
        _mint(owner, id);
        emit Staked(id, b.delegate, b.amount, b.duration);
    }

    function _requireBucket(uint256 id) private view {
        require(_ownerOf(id) != address(0), "ERC721: invalid token ID");
    }
}

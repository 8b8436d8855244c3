// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";

/// @notice A stand-in for IoTeX's IIP-13 SystemStaking NFT contract with the
/// same reading surface — ERC-721 ownership and
/// `bucketOf(tokenId) -> (amount, duration, unlockedAt, unstakedAt, delegate)`,
/// durations in blocks, `type(uint256).max` meaning "still locked" /
/// "still staked" — for tests of voting power read at a past block.
contract TestSystemStaking is ERC721 {
    struct Bucket {
        uint256 amount;
        uint256 duration;
        uint256 unlockedAt;
        uint256 unstakedAt;
        address delegate;
    }

    mapping(uint256 => Bucket) private buckets;
    uint256 public nextId = 1;

    constructor() ERC721("Test Bucket", "TBKT") {}

    function stake(uint256 duration, address delegate) external payable returns (uint256 id) {
        id = nextId++;
        buckets[id] = Bucket(msg.value, duration, type(uint256).max, type(uint256).max, delegate);
        _mint(msg.sender, id);
    }

    function unlock(uint256 id) external {
        require(ownerOf(id) == msg.sender, "not owner");
        buckets[id].unlockedAt = block.number;
    }

    function unstake(uint256 id) external {
        require(ownerOf(id) == msg.sender, "not owner");
        buckets[id].unstakedAt = block.number;
    }

    function bucketOf(uint256 id) external view returns (uint256, uint256, uint256, uint256, address) {
        _requireOwned(id);
        Bucket memory b = buckets[id];
        return (b.amount, b.duration, b.unlockedAt, b.unstakedAt, b.delegate);
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ERC20Votes} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";

/// @notice An ERC20Votes token with OpenZeppelin's default block-number
/// clock, for tests of voting power read at a past block
/// (`getPastVotes(account, block)`, and `balanceOf` called at a block). The
/// deployer mints.
contract VotesToken is ERC20, EIP712, ERC20Votes, Ownable {
    constructor() ERC20("Votes", "VOTES") EIP712("Votes", "1") Ownable(msg.sender) {}

    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Votes) {
        super._update(from, to, value);
    }
}

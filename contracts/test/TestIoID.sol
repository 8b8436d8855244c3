// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";

/// @notice A stand-in for IoTeX's ioID NFT (`iotexproject/ioID-contracts`,
/// `contracts/ioID.sol`), for tests of device checks: one ERC-721 token per
/// registered device, owned by the device's owner, with the reading surface
/// iodao uses (`ownerOf`, `deviceProject`, `projectDeviceCount`). Only its
/// registry mints and burns.
/// @dev Unlike the real one it creates no ERC-6551 wallet and keeps no DID
/// strings.
contract TestIoID is ERC721 {
    address public immutable minter;
    uint256 public nextId = 1;
    mapping(address => uint256) public deviceProject;
    mapping(uint256 => uint256) public projectDeviceCount;
    mapping(uint256 => address) private devices;

    error ErrNotMinter();

    constructor() ERC721("Test ioID", "TIOID") {
        minter = msg.sender;
    }

    function mint(uint256 projectId, address device, address owner) external returns (uint256 id) {
        if (msg.sender != minter) revert ErrNotMinter();
        id = nextId++;
        devices[id] = device;
        deviceProject[device] = projectId;
        projectDeviceCount[projectId]++;
        _mint(owner, id);
    }

    function removeDID(uint256 id) external {
        if (msg.sender != minter) revert ErrNotMinter();
        address device = devices[id];
        projectDeviceCount[deviceProject[device]]--;
        delete deviceProject[device];
        delete devices[id];
        _burn(id);
    }
}

/// @notice A stand-in for IoTeX's ioIDRegistry (`contracts/ioIDRegistry.sol`
/// there): `exists(device)`, `deviceTokenId(device)` (reverting "device not
/// exists" for an unregistered device, as the real one does) and the
/// address of its ioID NFT, `ioID()`.
/// @dev Unlike the real one, `register` takes no device signature, NFT or
/// fee: a test registers any device to any owner, and `remove` drops it.
contract TestIoIDRegistry {
    TestIoID public immutable ioID;
    mapping(address => uint256) private ids;

    event NewDevice(address indexed device, address owner, bytes32 hash, string uri);
    event RemoveDevice(address indexed device, address owner);

    constructor() {
        ioID = new TestIoID();
    }

    function register(uint256 projectId, address device, address owner) external returns (uint256 id) {
        require(device != address(0), "device is the zero address");
        require(ids[device] == 0, "device exists");
        id = ioID.mint(projectId, device, owner);
        ids[device] = id;
        emit NewDevice(device, owner, bytes32(id), "");
    }

    function remove(address device) external {
        uint256 id = ids[device];
        require(id != 0, "device not exists");
        address owner = ioID.ownerOf(id);
        ioID.removeDID(id);
        delete ids[device];
        emit RemoveDevice(device, owner);
    }

    function exists(address device) external view returns (bool) {
        return ids[device] != 0;
    }

    function deviceTokenId(address device) external view returns (uint256) {
        require(ids[device] != 0, "device not exists");
        return ids[device];
    }
}
